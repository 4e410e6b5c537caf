//! `POST /api/import`: scripts, bench, cases, a run and its results from one bundle, written in
//! one transaction and left finished.

use super::input::{
    check_finite, check_idempotency_key, check_metadata, check_slug, BenchSettings, Finish, ImportBundle, ImportScript, PutBench, RunMode,
};
use super::rows::NewRun;
use super::{Store, StoreError, StoreResult, StoreTx, MAX_BATCH};
use crate::domain::RunStatus;
use crate::model::Run;
use crate::server::time::{now_ms, parse_ms};

impl StoreTx {
    /// The version number an import names: published from its source, or an existing number.
    async fn import_version(&mut self, kind: &str, s: &ImportScript) -> StoreResult<i64> {
        if let Some(p) = s.publish() {
            let (v, _) = self.publish_version(kind, &s.name, &p).await.map_err(|e| prefix(e, kind))?;
            if let Some(n) = s.version {
                if n != v.number {
                    return Err(StoreError::invalid(
                        format!("{kind}.version"),
                        format!("the source given is version {} of {kind} '{}', not {n}", v.number, s.name),
                    ));
                }
            }
            return Ok(v.number);
        }
        let n = s.version.ok_or_else(|| {
            StoreError::invalid(format!("{kind}.version"), "name an existing version or give its source")
        })?;
        let sid = self.script_id(kind, &s.name).await?.ok_or_else(|| {
            StoreError::not_found(format!("no {kind} script named '{}'", s.name)).field(format!("{kind}.name"))
        })?;
        self.version_by_number(sid, n).await?.ok_or_else(|| {
            StoreError::not_found(format!("{kind} '{}' has no version {n}", s.name)).field(format!("{kind}.version"))
        })?;
        Ok(n)
    }
}

/// The error with its field path under `p` (`workflow.version`, `bench.score_max`…).
fn prefix(e: StoreError, p: &str) -> StoreError {
    e.map_field(|f| {
        Some(match f {
            Some(f) => format!("{p}.{f}"),
            None => p.to_string(),
        })
    })
}

/// Field paths of a chunk's error counted from the start of the bundle's results.
fn offset_results(e: StoreError, offset: usize) -> StoreError {
    e.map_field(|f| {
        let f = f?;
        let shifted = f.strip_prefix("results[").and_then(|rest| {
            let (n, tail) = rest.split_once(']')?;
            Some(format!("results[{}]{tail}", n.parse::<usize>().ok()? + offset))
        });
        Some(shifted.unwrap_or(f))
    })
}

fn parse_time(field: &str, s: &Option<String>) -> StoreResult<Option<i64>> {
    match s {
        None => Ok(None),
        Some(t) => parse_ms(t).map(Some).ok_or_else(|| StoreError::invalid(field, "must be an RFC 3339 timestamp")),
    }
}

impl Store {
    pub async fn import_bundle(&self, b: ImportBundle) -> StoreResult<(Run, bool)> {
        check_slug("bench.name", &b.bench.name)?;
        let channel = b.run.channel.clone().unwrap_or_else(|| "imported".to_string());
        check_slug("run.channel", &channel)?;
        check_finite("run.temperature", b.run.temperature)?;
        check_idempotency_key("run.idempotency_key", &b.run.idempotency_key)?;
        let metadata = check_metadata("run.metadata", &b.run.metadata)?;
        let how = match b.run.status.as_deref().map(RunStatus::parse) {
            None | Some(Some(RunStatus::Completed)) => Finish::Complete,
            Some(Some(RunStatus::Failed)) => Finish::Fail,
            Some(Some(RunStatus::Canceled)) => Finish::Cancel,
            _ => return Err(StoreError::invalid("run.status", "an imported run is completed, failed or canceled")),
        };
        let now = now_ms();
        let triggered_at = parse_time("run.triggered_at", &b.run.triggered_at)?.unwrap_or(now);
        let completed_at = parse_time("run.completed_at", &b.run.completed_at)?.unwrap_or(now.max(triggered_at));

        let mut tx = self.begin().await?;
        let existing = tx.bench_by_name(&b.bench.name).await?;
        if let (Some(key), Some(bench)) = (&b.run.idempotency_key, &existing) {
            if let Some((id,)) = tx
                .opt::<(i64,)>(
                    "SELECT id FROM runs WHERE bench_id = $1 AND idempotency_key = $2",
                    crate::args![bench.id, key],
                )
                .await?
            {
                let run = tx.run_model(id).await?;
                tx.commit().await?;
                return Ok((run, false));
            }
        }
        let workflow_version = tx.import_version("workflow", &b.workflow).await?;
        let judge_version = tx.import_version("judge", &b.judge).await?;
        // Settings the bundle leaves out keep the stored bench's values.
        let put = PutBench {
            description: b.bench.description.clone().or_else(|| existing.as_ref().and_then(|e| e.description.clone())),
            workflow: b.workflow.name.clone(),
            judge: b.judge.name.clone(),
            judge_channel: b.bench.judge_channel.clone().or_else(|| existing.as_ref().map(|e| e.judge_channel.clone())),
            score_max: b.bench.score_max.or(existing.as_ref().map(|e| e.score_max)),
            pass_threshold: b.bench.pass_threshold.or_else(|| {
                // Only carry the stored threshold over when the scale stays the same.
                existing
                    .as_ref()
                    .filter(|e| b.bench.score_max.is_none_or(|m| m == e.score_max))
                    .map(|e| e.pass_threshold)
            }),
        };
        let settings = BenchSettings::from_put(&put).map_err(|e| prefix(e, "bench"))?;
        let bench = tx.put_bench(&b.bench.name, &settings).await?;
        tx.upsert_cases(&bench, &b.cases, "cases").await?;
        let bench_id = bench.id;
        let resolved = tx.resolve_versions(bench, &channel, Some(workflow_version), Some(judge_version)).await?;
        let selection = tx
            .select_cases(bench_id, b.run.case_ids.as_deref(), RunMode::Full, None)
            .await
            .map_err(|e| prefix(e, "run"))?;
        let id = tx
            .insert_run(NewRun {
                resolved: &resolved,
                channel: &channel,
                status: RunStatus::Running,
                mode: RunMode::Full,
                sample_size: None,
                selection: &selection,
                triggered_by: b.run.triggered_by.clone(),
                triggered_at,
                notes: b.run.notes.clone(),
                mcp_session_id: b.run.mcp_session_id.clone(),
                model: b.run.model.clone(),
                system_prompt: b.run.system_prompt.clone(),
                temperature: b.run.temperature,
                metadata,
                idempotency_key: b.run.idempotency_key.clone(),
            })
            .await?;
        let mut rest = b.results;
        let mut offset = 0;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(MAX_BATCH));
            let chunk = std::mem::replace(&mut rest, tail);
            let n = chunk.len();
            tx.ingest(id, chunk).await.map_err(|e| offset_results(e, offset))?;
            offset += n;
        }
        let run = tx.finish(id, how, b.run.error.clone(), completed_at).await?;
        tx.commit().await?;
        Ok((run, true))
    }
}
