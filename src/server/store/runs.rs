//! Runs: trigger (versions and case selection fixed at trigger time), read, delete.

use std::collections::HashSet;

use rand::seq::SliceRandom;

use super::input::{check_case_id, check_finite, check_idempotency_key, check_metadata, check_slug, RunMode, TriggerRun};
use super::rows::{BenchRow, NewRun, Resolved, RunRow, Selection, RUN_SELECT};
use super::{Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::domain::RunStatus;
use crate::model::Run;
use crate::server::sql::{is_unique_violation, select_in, BatchInsert, Col, Ty};
use crate::server::time::now_ms;

/// `(run_id, case_id)` rows of an explicit selection.
const RUN_CASE_COLS: &[Col<(i64, String)>] =
    &[Col::new("run_id", Ty::I64, |r| r.0.into()), Col::new("case_id", Ty::Text, |r| (&r.1).into())];

impl StoreTx {
    pub(crate) async fn run_row(&mut self, id: i64) -> StoreResult<RunRow> {
        self.opt::<RunRow>(&format!("{RUN_SELECT} WHERE id = $1"), args![id])
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no run {id}")))
    }

    pub(crate) async fn run_dims(&mut self, id: i64) -> StoreResult<Vec<(String, f64, i64)>> {
        Ok(self
            .all::<(String, f64, i64)>(
                "SELECT dimension, score_sum, n FROM run_dimensions WHERE run_id = $1 ORDER BY dimension",
                args![id],
            )
            .await?)
    }

    pub(crate) async fn run_model(&mut self, id: i64) -> StoreResult<Run> {
        let row = self.run_row(id).await?;
        let dims = self.run_dims(id).await?;
        Ok(row.into_model(dims))
    }

    /// Resolve the workflow version (from the run's channel, or pinned) and the judge version (from
    /// the bench's judge channel, or pinned). This is what fixes a run's meaning at trigger time.
    pub(crate) async fn resolve_versions(
        &mut self,
        bench: BenchRow,
        channel: &str,
        workflow_version: Option<i64>,
        judge_version: Option<i64>,
    ) -> StoreResult<Resolved> {
        let workflow = match workflow_version {
            Some(n) => self.version_by_number(bench.workflow_script_id, n).await?.ok_or_else(|| {
                StoreError::not_found(format!("workflow '{}' has no version {n}", bench.workflow)).field("workflow_version")
            })?,
            None => self.version_by_channel(bench.workflow_script_id, channel).await?.ok_or_else(|| {
                StoreError::not_found(format!(
                    "workflow '{}' has no channel '{channel}': publish a version to it first",
                    bench.workflow
                ))
                .field("channel")
            })?,
        };
        let judge = match judge_version {
            Some(n) => self.version_by_number(bench.judge_script_id, n).await?.ok_or_else(|| {
                StoreError::not_found(format!("judge '{}' has no version {n}", bench.judge)).field("judge_version")
            })?,
            None => self.version_by_channel(bench.judge_script_id, &bench.judge_channel).await?.ok_or_else(|| {
                StoreError::not_found(format!(
                    "judge '{}' has no channel '{}' (the bench's judge channel)",
                    bench.judge, bench.judge_channel
                ))
                .field("judge_channel")
            })?,
        };
        Ok(Resolved { bench, workflow, judge })
    }

    pub(crate) async fn select_cases(
        &mut self,
        bench_id: i64,
        case_ids: Option<&[String]>,
        mode: RunMode,
        sample_size: Option<i64>,
    ) -> StoreResult<Selection> {
        let (max_pk, count) = self
            .one::<(Option<i64>, i64)>("SELECT MAX(id), COUNT(*) FROM cases WHERE bench_id = $1", args![bench_id])
            .await?;
        let max_case_pk = max_pk.unwrap_or(0);
        let explicit: Option<Vec<String>> = match case_ids {
            None => None,
            Some(ids) => {
                let mut seen = HashSet::new();
                let mut unique = Vec::new();
                for (i, id) in ids.iter().enumerate() {
                    check_case_id(&format!("case_ids[{i}]"), id)?;
                    if seen.insert(id.as_str()) {
                        unique.push(id.clone());
                    }
                }
                let found: HashSet<String> = select_in::<(String,)>(
                    self,
                    "SELECT case_id FROM cases WHERE bench_id = $1 AND {in}",
                    args![bench_id],
                    "case_id",
                    &unique,
                )
                .await?
                .into_iter()
                .map(|r| r.0)
                .collect();
                if let Some(i) = ids.iter().position(|id| !found.contains(id)) {
                    return Err(
                        StoreError::not_found(format!("the bench has no case '{}'", ids[i])).field(format!("case_ids[{i}]"))
                    );
                }
                Some(unique)
            }
        };
        match mode {
            RunMode::Full => {
                let total = explicit.as_ref().map_or(count, |v| v.len() as i64);
                Ok(Selection { case_ids: explicit, total, max_case_pk })
            }
            RunMode::Sampled => {
                let k =
                    sample_size.ok_or_else(|| StoreError::invalid("sample_size", "a sampled run needs sample_size"))?;
                let mut pool = match explicit {
                    Some(v) => v,
                    None => self
                        .all::<(String,)>("SELECT case_id FROM cases WHERE bench_id = $1", args![bench_id])
                        .await?
                        .into_iter()
                        .map(|r| r.0)
                        .collect(),
                };
                if k < 1 {
                    return Err(StoreError::invalid("sample_size", "must be at least 1"));
                }
                // More than the bench holds today: a conflict with its state, not a bad value.
                if k as usize > pool.len() {
                    return Err(StoreError::conflict(
                        "too_few_cases",
                        format!("sample_size {k} is more than the {} cases to draw from", pool.len()),
                    )
                    .field("sample_size"));
                }
                pool.shuffle(&mut rand::thread_rng());
                pool.truncate(k as usize);
                pool.sort();
                Ok(Selection { total: k, case_ids: Some(pool), max_case_pk })
            }
        }
    }

    pub(crate) async fn insert_run(&mut self, r: NewRun<'_>) -> Result<i64, sqlx::Error> {
        let res = r.resolved;
        let case_filter = r.selection.case_ids.as_ref().map(|v| serde_json::to_string(v).expect("ids serialise"));
        let (id,) = self
            .one::<(i64,)>(
                "INSERT INTO runs (bench_id, bench_name, channel, workflow_script_name, workflow_version_id, \
                 workflow_version_number, judge_script_name, judge_version_id, judge_version_number, status, mode, \
                 sample_size, case_filter, max_case_pk, triggered_by, triggered_at, notes, \
                 mcp_session_id, model, system_prompt, temperature, metadata, idempotency_key, pass_threshold, \
                 score_max, total_cases) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) RETURNING id",
                args![
                    res.bench.id,
                    res.bench.name.clone(),
                    r.channel,
                    res.workflow.script_name.clone(),
                    res.workflow.id,
                    res.workflow.number,
                    res.judge.script_name.clone(),
                    res.judge.id,
                    res.judge.number,
                    r.status.as_str(),
                    r.mode.as_str(),
                    r.sample_size,
                    case_filter,
                    r.selection.max_case_pk,
                    r.triggered_by,
                    r.triggered_at,
                    r.notes,
                    r.mcp_session_id,
                    r.model.or_else(|| res.workflow.model.clone()),
                    r.system_prompt.or_else(|| res.workflow.system_prompt.clone()),
                    r.temperature.or(res.workflow.temperature),
                    r.metadata.to_string(),
                    r.idempotency_key,
                    res.bench.pass_threshold,
                    res.bench.score_max,
                    r.selection.total
                ],
            )
            .await?;
        if let Some(ids) = &r.selection.case_ids {
            let rows: Vec<(i64, String)> = ids.iter().map(|c| (id, c.clone())).collect();
            BatchInsert { table: "run_cases", cols: RUN_CASE_COLS, suffix: "" }.run(self, &rows).await?;
        }
        Ok(id)
    }

    async fn existing_by_key(&mut self, bench_id: i64, key: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .opt::<(i64,)>("SELECT id FROM runs WHERE bench_id = $1 AND idempotency_key = $2", args![bench_id, key])
            .await?
            .map(|r| r.0))
    }
}

impl Store {
    /// Trigger a run. Returns the run and whether it was created (false: idempotent replay).
    pub async fn trigger_run(&self, t: &TriggerRun) -> StoreResult<(Run, bool)> {
        check_slug("channel", &t.channel)?;
        check_finite("temperature", t.temperature)?;
        let metadata = check_metadata("metadata", &t.metadata)?;
        if t.mode == RunMode::Full && t.sample_size.is_some() {
            return Err(StoreError::invalid("sample_size", "sample_size goes with mode 'sampled'"));
        }
        check_idempotency_key("idempotency_key", &t.idempotency_key)?;
        let mut tx = self.begin().await?;
        let bench = tx
            .bench_by_name(&t.bench)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no bench named '{}'", t.bench)).field("bench"))?;
        if let Some(key) = &t.idempotency_key {
            if let Some(id) = tx.existing_by_key(bench.id, key).await? {
                let run = tx.run_model(id).await?;
                tx.commit().await?;
                return Ok((run, false));
            }
        }
        let bench_id = bench.id;
        let resolved = tx.resolve_versions(bench, &t.channel, t.workflow_version, t.judge_version).await?;
        let selection = tx.select_cases(bench_id, t.case_ids.as_deref(), t.mode, t.sample_size).await?;
        let inserted = tx
            .insert_run(NewRun {
                resolved: &resolved,
                channel: &t.channel,
                status: RunStatus::Pending,
                mode: t.mode,
                sample_size: t.sample_size,
                selection: &selection,
                triggered_by: t.triggered_by.clone(),
                triggered_at: now_ms(),
                notes: t.notes.clone(),
                mcp_session_id: t.mcp_session_id.clone(),
                model: t.model.clone(),
                system_prompt: t.system_prompt.clone(),
                temperature: t.temperature,
                metadata,
                idempotency_key: t.idempotency_key.clone(),
            })
            .await;
        match inserted {
            Ok(id) => {
                let run = tx.run_model(id).await?;
                tx.commit().await?;
                Ok((run, true))
            }
            // A concurrent trigger with the same key won the race (PostgreSQL): answer with its run.
            Err(e) if is_unique_violation(&e) && t.idempotency_key.is_some() => {
                drop(tx);
                let mut tx = self.begin().await?;
                let key = t.idempotency_key.as_deref().unwrap_or_default();
                let id = tx.existing_by_key(bench_id, key).await?.ok_or_else(|| StoreError::internal(e))?;
                let run = tx.run_model(id).await?;
                tx.commit().await?;
                Ok((run, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_run(&self, id: i64) -> StoreResult<Run> {
        let mut tx = self.begin_read().await?;
        let run = tx.run_model(id).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// The run triggered just before run `id` on its bench and channel (through
    /// `runs_by_bench_channel`), if any.
    pub async fn previous_on_channel(&self, id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .db
            .opt::<(i64,)>(
                "SELECT p.id FROM runs p JOIN runs r ON r.id = $1 WHERE p.bench_id = r.bench_id \
                 AND p.channel = r.channel AND (p.triggered_at, p.id) < (r.triggered_at, r.id) \
                 ORDER BY p.triggered_at DESC, p.id DESC LIMIT 1",
                args![id],
            )
            .await?
            .map(|r| r.0))
    }

    /// The latest completed full run of `bench` on `channel` — what a living channel link
    /// compares. 404 naming `field` when the bench or the channel has none.
    pub async fn latest_full_run(&self, bench: &str, channel: &str, field: &str) -> StoreResult<i64> {
        let b = self.get_bench(bench).await.map_err(|e| e.field("bench"))?;
        self.db
            .opt::<(i64,)>(
                "SELECT id FROM runs WHERE bench_id = $1 AND channel = $2 AND status = 'completed' AND mode = 'full' \
                 ORDER BY triggered_at DESC, id DESC LIMIT 1",
                args![b.id, channel],
            )
            .await?
            .map(|r| r.0)
            .ok_or_else(|| {
                StoreError::not_found(format!("bench '{bench}' has no completed full run on channel '{channel}'")).field(field)
            })
    }

    pub async fn delete_run(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let n = tx.exec("DELETE FROM runs WHERE id = $1", args![id]).await?;
        if n == 0 {
            return Err(StoreError::not_found(format!("no run {id}")));
        }
        tx.commit().await?;
        // SQLite gives the highest rowid again once it is deleted: a finished run's cached
        // figures must not outlive it.
        self.figures.forget(id);
        self.reports.forget(id);
        self.flaky.forget(id);
        Ok(())
    }
}
