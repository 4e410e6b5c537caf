//! An import session: one transaction that a whole file (or bundle) is written through, chunk by
//! chunk — run headers (scripts published by content, bench, run row), then cases and results in
//! batches, then `finish` fixes each run's selection, recounts it, marks it finished and commits.
//! Memory stays bounded by one batch; dropping the session unfinished rolls everything back.
//! Runs are recognised by their source (`metadata.source_format`, `source_id`, `source_column`):
//! a run imported before is answered as it stands and its cases and results are skipped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::prefix;
use crate::args;
use crate::domain::RunStatus;
use crate::model::Run;
use crate::server::sql::{is_unique_violation, BatchInsert, Col, Ty};
use crate::server::store::import_lines::{HeaderScript, ImportOutcome, ImportedRun, RunHeader};
use crate::server::store::input::{
    check_finite, check_idempotency_key, check_metadata, check_slug, BenchSettings, CaseInput, Finish, PublishVersion, PutBench, ResultInput,
    RunMode,
};
use crate::server::store::rows::{BenchRow, NewRun, Selection};
use crate::server::store::{Store, StoreError, StoreResult, StoreTx, MAX_BATCH};
use crate::server::time::{now_ms, parse_ms};

const RUN_CASE_COLS: &[Col<(i64, String)>] =
    &[Col::new("run_id", Ty::I64, |r| r.0.into()), Col::new("case_id", Ty::Text, |r| (&r.1).into())];

/// A run of the session: being written, or found imported before.
enum Open {
    New(NewState),
    Existing(Run),
}

struct NewState {
    id: i64,
    bench: BenchRow,
    how: Finish,
    error: Option<String>,
    completed_at: i64,
    case_ids: Option<Vec<String>>,
    total_cases: Option<i64>,
}

pub struct ImportSession {
    tx: StoreTx,
    runs: BTreeMap<u32, Open>,
}

/// The key that recognises a run imported before: its source's format, id and column.
fn import_key(metadata: &Value) -> Option<String> {
    let s = |k: &str| metadata.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
    let format = s("source_format")?;
    let id = s("source_id")?;
    Some(format!("{format}\u{1f}{id}\u{1f}{}", s("source_column").unwrap_or_default()))
}

fn parse_time(field: &str, s: &Option<String>) -> StoreResult<Option<i64>> {
    match s {
        None => Ok(None),
        Some(t) => parse_ms(t).map(Some).ok_or_else(|| StoreError::invalid(field, "must be an RFC 3339 timestamp")),
    }
}

impl StoreTx {
    /// The version number a header names: published from its source (an existing version with
    /// the same content is reused), or an existing number.
    async fn header_version(&mut self, kind: &str, name: &str, s: &HeaderScript) -> StoreResult<i64> {
        if let Some(source) = &s.source {
            let p = PublishVersion {
                source: source.clone(),
                language: s.language.clone(),
                label: s.label.clone(),
                published_by: s.published_by.clone(),
                model: s.model.clone(),
                system_prompt: s.system_prompt.clone(),
                temperature: s.temperature,
                config: s.config.clone(),
                channels: Vec::new(),
            };
            let (v, _) = self.publish_version(kind, name, &p).await.map_err(|e| prefix(e, kind))?;
            if let Some(n) = s.version.filter(|n| *n != v.number) {
                return Err(StoreError::invalid(
                    format!("{kind}.version"),
                    format!("the source given is version {} of {kind} '{name}', not {n}", v.number),
                ));
            }
            return Ok(v.number);
        }
        let n = s
            .version
            .ok_or_else(|| StoreError::invalid(format!("{kind}.version"), "name an existing version or give its source"))?;
        let sid = self
            .script_id(kind, name)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no {kind} script named '{name}'")).field(format!("{kind}.name")))?;
        self.version_by_number(sid, n)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("{kind} '{name}' has no version {n}")).field(format!("{kind}.version")))?;
        Ok(n)
    }
}

impl Store {
    /// Begin an import session (the write transaction it holds until `finish`).
    pub async fn import_session(&self) -> StoreResult<ImportSession> {
        Ok(ImportSession { tx: self.begin().await?, runs: BTreeMap::new() })
    }
}

impl ImportSession {
    /// Open run `h.key`: recognised as imported before (answered as it stands), or created.
    pub async fn begin_run(&mut self, h: RunHeader) -> StoreResult<ImportedRun> {
        if self.runs.contains_key(&h.key) {
            return Err(StoreError::invalid("key", format!("run key {} is used twice", h.key)));
        }
        check_slug("bench.name", &h.bench.name)?;
        let channel = h.run.channel.clone().unwrap_or_else(|| "imported".to_string());
        check_slug("run.channel", &channel)?;
        check_finite("run.temperature", h.run.temperature)?;
        check_idempotency_key("run.idempotency_key", &h.run.idempotency_key)?;
        let metadata = check_metadata("run.metadata", &h.run.metadata)?;
        let how = match h.run.status.as_deref().map(RunStatus::parse) {
            None | Some(Some(RunStatus::Completed)) => Finish::Complete,
            Some(Some(RunStatus::Failed)) => Finish::Fail,
            Some(Some(RunStatus::Canceled)) => Finish::Cancel,
            _ => return Err(StoreError::invalid("run.status", "an imported run is completed, failed or canceled")),
        };
        let now = now_ms();
        let triggered_at = parse_time("run.triggered_at", &h.run.triggered_at)?.unwrap_or(now);
        let completed_at = parse_time("run.completed_at", &h.run.completed_at)?.unwrap_or(now.max(triggered_at));

        let key = import_key(&metadata);
        if let Some(k) = &key {
            if let Some((id,)) = self.tx.opt::<(i64,)>("SELECT id FROM runs WHERE import_key = $1", args![k.clone()]).await? {
                return self.existing(h.key, id).await;
            }
        }
        let tx = &mut self.tx;
        let existing = tx.bench_by_name(&h.bench.name).await?;
        if let (Some(k), Some(bench)) = (&h.run.idempotency_key, &existing) {
            if let Some((id,)) = tx
                .opt::<(i64,)>("SELECT id FROM runs WHERE bench_id = $1 AND idempotency_key = $2", args![bench.id, k.clone()])
                .await?
            {
                return self.existing(h.key, id).await;
            }
        }
        // Scripts: the header's, else the bench's own, else named after a new bench.
        let workflow = match (&h.workflow.name, &existing) {
            (Some(n), _) => n.clone(),
            (None, Some(b)) => b.workflow.clone(),
            (None, None) => h.bench.name.clone(),
        };
        let judge = match (&h.judge.name, &existing) {
            (Some(n), _) => n.clone(),
            (None, Some(b)) => b.judge.clone(),
            (None, None) => format!("{}-judge", h.bench.name),
        };
        let workflow_version = tx.header_version("workflow", &workflow, &h.workflow).await?;
        let judge_version = tx.header_version("judge", &judge, &h.judge).await?;
        // Settings the header leaves out keep the stored bench's values.
        let put = PutBench {
            description: h.bench.description.clone().or_else(|| existing.as_ref().and_then(|e| e.description.clone())),
            workflow,
            judge,
            judge_channel: h.bench.judge_channel.clone().or_else(|| existing.as_ref().map(|e| e.judge_channel.clone())),
            score_max: h.bench.score_max.or(existing.as_ref().map(|e| e.score_max)),
            pass_threshold: h.bench.pass_threshold.or_else(|| {
                // Only carry the stored threshold over when the scale stays the same.
                existing.as_ref().filter(|e| h.bench.score_max.is_none_or(|m| m == e.score_max)).map(|e| e.pass_threshold)
            }),
        };
        let settings = BenchSettings::from_put(&put).map_err(|e| prefix(e, "bench"))?;
        let bench = tx.put_bench(&h.bench.name, &settings).await?;
        let resolved = tx.resolve_versions(bench.clone(), &channel, Some(workflow_version), Some(judge_version)).await?;
        // Cases arrive after the header: the selection is fixed at `finish`; until then the run
        // takes results for any case of its bench.
        let open_selection = Selection { case_ids: None, total: 0, max_case_pk: i64::MAX };
        let id = tx
            .insert_run(NewRun {
                resolved: &resolved,
                channel: &channel,
                status: RunStatus::Running,
                mode: RunMode::Full,
                sample_size: None,
                selection: &open_selection,
                triggered_by: h.run.triggered_by.clone(),
                triggered_at,
                notes: h.run.notes.clone(),
                mcp_session_id: h.run.mcp_session_id.clone(),
                model: h.run.model.clone(),
                system_prompt: h.run.system_prompt.clone(),
                temperature: h.run.temperature,
                metadata,
                idempotency_key: h.run.idempotency_key.clone(),
            })
            .await?;
        if let Some(k) = key {
            tx.exec("UPDATE runs SET import_key = $1 WHERE id = $2", args![k, id]).await.map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::conflict("import_in_progress", "another import of the same source is being written right now")
                } else {
                    e.into()
                }
            })?;
        }
        let answer = ImportedRun { key: h.key, run_id: id, bench: bench.name.clone(), channel, created: true, results: 0 };
        let state = NewState {
            id,
            bench,
            how,
            error: h.run.error.clone(),
            completed_at,
            case_ids: h.run.case_ids.clone(),
            total_cases: h.total_cases,
        };
        self.runs.insert(h.key, Open::New(state));
        Ok(answer)
    }

    async fn existing(&mut self, key: u32, id: i64) -> StoreResult<ImportedRun> {
        let run = self.tx.run_model(id).await?;
        let answer = ImportedRun {
            key,
            run_id: run.id,
            bench: run.bench_name.clone(),
            channel: run.channel.clone(),
            created: false,
            results: run.results_count,
        };
        self.runs.insert(key, Open::Existing(run));
        Ok(answer)
    }

    fn open(&self, key: u32) -> StoreResult<&Open> {
        self.runs.get(&key).ok_or_else(|| StoreError::invalid("run", format!("no run line with key {key} came before")))
    }

    /// Upsert cases into run `key`'s bench (skipped for a run imported before).
    pub async fn cases(&mut self, key: u32, cases: &[CaseInput]) -> StoreResult<()> {
        let bench = match self.open(key)? {
            Open::Existing(_) => return Ok(()),
            Open::New(r) => r.bench.clone(),
        };
        self.tx.upsert_cases(&bench, cases, "cases").await?;
        Ok(())
    }

    /// Add a batch of results to run `key` (skipped for a run imported before).
    pub async fn results(&mut self, key: u32, results: Vec<ResultInput>) -> StoreResult<()> {
        let id = match self.open(key)? {
            Open::Existing(_) => return Ok(()),
            Open::New(r) => r.id,
        };
        if results.len() > MAX_BATCH {
            return Err(StoreError::invalid("results", format!("{} results in one batch; send at most {MAX_BATCH}", results.len())));
        }
        self.tx.ingest(id, results).await?;
        Ok(())
    }

    /// Fix each new run's selection, recount and finish it, and commit the whole session.
    pub async fn finish(mut self) -> StoreResult<(ImportOutcome, Vec<Run>)> {
        let mut outcome = ImportOutcome::default();
        let mut runs = Vec::new();
        for (key, open) in std::mem::take(&mut self.runs) {
            let (run, created) = match open {
                Open::Existing(run) => (run, false),
                Open::New(r) => {
                    self.fix_selection(&r).await?;
                    (self.tx.finish(r.id, r.how, r.error, r.completed_at).await?, true)
                }
            };
            outcome.runs.push(ImportedRun {
                key,
                run_id: run.id,
                bench: run.bench_name.clone(),
                channel: run.channel.clone(),
                created,
                results: run.results_count,
            });
            runs.push(run);
        }
        self.tx.commit().await?;
        Ok((outcome, runs))
    }

    /// The selection a finished import keeps: the `case_ids` it named, else the bench's cases up to
    /// now — counting `total_cases` (given as 0: the cases with results) as selected when the
    /// source said how many it meant to run.
    async fn fix_selection(&mut self, r: &NewState) -> StoreResult<()> {
        let tx = &mut self.tx;
        let sel = tx.select_cases(r.bench.id, r.case_ids.as_deref(), RunMode::Full, None).await.map_err(|e| prefix(e, "run"))?;
        let (with_results,) =
            tx.one::<(i64,)>("SELECT COUNT(DISTINCT case_id) FROM results WHERE run_id = $1", args![r.id]).await?;
        let total = match (&sel.case_ids, r.total_cases) {
            (Some(_), _) | (None, None) => sel.total,
            (None, Some(n)) => n.max(with_results),
        };
        let filter = sel.case_ids.as_ref().map(|v| serde_json::to_string(v).expect("ids serialise"));
        tx.exec(
            "UPDATE runs SET total_cases = $1, max_case_pk = $2, case_filter = $3 WHERE id = $4",
            args![total, sel.max_case_pk, filter, r.id],
        )
        .await?;
        if let Some(ids) = &sel.case_ids {
            let rows: Vec<(i64, String)> = ids.iter().map(|c| (r.id, c.clone())).collect();
            BatchInsert { table: "run_cases", cols: RUN_CASE_COLS, suffix: "" }.run(tx, &rows).await?;
            if let Some((case,)) = tx
                .opt::<(String,)>(
                    "SELECT r.case_id FROM results r WHERE r.run_id = $1 AND NOT EXISTS \
                     (SELECT 1 FROM run_cases c WHERE c.run_id = r.run_id AND c.case_id = r.case_id)",
                    args![r.id],
                )
                .await?
            {
                return Err(StoreError::invalid("results", format!("case '{case}' is not among the run's case_ids")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_are_recognised_by_format_id_and_column() {
        let a = import_key(&json!({"source_format": "promptfoo", "source_id": "eval-1", "source_column": 2}));
        assert_eq!(a, import_key(&json!({"source_column": 2, "source_id": "eval-1", "source_format": "promptfoo", "x": 1})));
        assert_ne!(a, import_key(&json!({"source_format": "promptfoo", "source_id": "eval-1", "source_column": 3})));
        assert_ne!(a, import_key(&json!({"source_format": "inspect", "source_id": "eval-1", "source_column": 2})));
        assert_eq!(import_key(&json!({"source_format": "inspect"})), None, "no id: not recognisable");
        assert_eq!(import_key(&json!({"git": "abc"})), None);
    }
}
