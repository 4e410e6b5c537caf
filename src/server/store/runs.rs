//! Runs: trigger (versions and case selection fixed at trigger time), read, finish, delete.

use std::collections::{BTreeMap, HashSet};

use rand::seq::SliceRandom;
use serde_json::Value;

use super::benches::{bench_by_name, BenchRow};
use super::scripts::{version_by_channel, version_by_number, VersionRow};
use super::{is_unique_violation, lock_row, select_in, text_json, BatchInsert, Store, Ty};
use crate::args;
use crate::domain::aggregate::{AggSums, Contribution};
use crate::domain::{ResultStatus, RunStatus, Verdict};
use crate::model::Run;
use crate::server::db::{Tx, Val};
use crate::server::error::{ApiError, ApiResult};
use crate::server::input::{check_case_id, check_finite, check_slug, RunMode, TriggerRun};
use crate::server::time::{fmt_ms, now_ms};

#[derive(sqlx::FromRow, Clone, Debug)]
pub(crate) struct RunRow {
    pub id: i64,
    pub bench_id: i64,
    pub bench_name: String,
    pub channel: String,
    pub workflow_script_name: String,
    pub workflow_version_id: i64,
    pub workflow_version_number: i64,
    pub judge_script_name: String,
    pub judge_version_id: i64,
    pub judge_version_number: i64,
    pub status: String,
    pub mode: String,
    pub sample_size: Option<i64>,
    pub case_filter: Option<String>,
    pub max_case_pk: i64,
    pub triggered_by: Option<String>,
    pub triggered_at: i64,
    pub completed_at: Option<i64>,
    pub notes: Option<String>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub error: Option<String>,
    pub metadata: String,
    pub idempotency_key: Option<String>,
    pub pass_threshold: f64,
    pub score_max: f64,
    pub total_cases: i64,
    pub results_count: i64,
    pub cases_with_results: i64,
    pub n_ok: i64,
    pub n_cached: i64,
    pub n_workflow_failed: i64,
    pub n_judge_failed: i64,
    pub n_skipped: i64,
    pub passed: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub scored_count: i64,
    pub score_sum: f64,
    pub cache_hit_cases: i64,
    pub total_cost_usd: f64,
    pub latency_count: i64,
    pub latency_sum: i64,
    pub total_tokens: i64,
    pub last_result_at: Option<i64>,
}

pub(crate) const RUN_SELECT: &str = "SELECT * FROM runs";

impl RunRow {
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status).unwrap_or(RunStatus::Failed)
    }

    /// Whether the selection is an explicit list (in `run_cases`) rather than every case up to
    /// `max_case_pk`.
    pub fn has_explicit_selection(&self) -> bool {
        self.case_filter.is_some()
    }

    pub fn sums(&self, dims: Vec<(String, f64, i64)>) -> AggSums {
        AggSums {
            results_count: self.results_count,
            cases_with_results: self.cases_with_results,
            by_status: [self.n_ok, self.n_cached, self.n_workflow_failed, self.n_judge_failed, self.n_skipped],
            passed: self.passed,
            failed: self.failed,
            inconclusive: self.inconclusive,
            scored_count: self.scored_count,
            score_sum: self.score_sum,
            cache_hit_cases: self.cache_hit_cases,
            total_cost_usd: self.total_cost_usd,
            latency_count: self.latency_count,
            latency_sum: self.latency_sum,
            total_tokens: self.total_tokens,
            dimensions: dims.into_iter().map(|(d, s, n)| (d, (s, n))).collect(),
        }
    }

    pub fn into_model(self, dims: Vec<(String, f64, i64)>) -> Run {
        let sums = self.sums(dims);
        let d = sums.derive(self.total_cases);
        Run {
            id: self.id,
            bench_id: self.bench_id,
            bench_name: self.bench_name,
            channel: self.channel,
            workflow_script_name: self.workflow_script_name,
            workflow_version_id: self.workflow_version_id,
            workflow_version_number: self.workflow_version_number,
            judge_script_name: self.judge_script_name,
            judge_version_id: self.judge_version_id,
            judge_version_number: self.judge_version_number,
            status: self.status,
            mode: self.mode,
            sample_size: self.sample_size,
            case_filter: self.case_filter.and_then(|s| serde_json::from_str(&s).ok()),
            triggered_by: self.triggered_by,
            triggered_at: fmt_ms(self.triggered_at),
            completed_at: self.completed_at.map(fmt_ms),
            notes: self.notes,
            mcp_session_id: self.mcp_session_id,
            model: self.model,
            system_prompt: self.system_prompt,
            temperature: self.temperature,
            error: self.error,
            metadata: text_json(Some(self.metadata)).unwrap_or(Value::Null),
            idempotency_key: self.idempotency_key,
            pass_threshold: self.pass_threshold,
            score_max: self.score_max,
            total_cases: self.total_cases,
            results_count: self.results_count,
            ok_cases: d.ok_cases,
            mean_headline_score: d.mean_headline_score,
            status_breakdown: d.status_breakdown,
            passed: self.passed,
            failed: self.failed,
            inconclusive: self.inconclusive,
            missing: d.missing,
            pass_rate: d.pass_rate,
            cache_hit_cases: self.cache_hit_cases,
            total_cost_usd: self.total_cost_usd,
            avg_latency_ms: d.avg_latency_ms,
            total_tokens: self.total_tokens,
            dimension_scores: d.dimension_scores,
            last_result_at: self.last_result_at.map(fmt_ms),
        }
    }
}

pub(crate) async fn run_row(tx: &mut Tx, id: i64) -> ApiResult<RunRow> {
    tx.opt::<RunRow>(&format!("{RUN_SELECT} WHERE id = $1"), args![id])
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no run {id}")))
}

pub(crate) async fn run_dims(tx: &mut Tx, id: i64) -> ApiResult<Vec<(String, f64, i64)>> {
    Ok(tx
        .all::<(String, f64, i64)>(
            "SELECT dimension, score_sum, n FROM run_dimensions WHERE run_id = $1 ORDER BY dimension",
            args![id],
        )
        .await?)
}

pub(crate) async fn run_model_tx(tx: &mut Tx, id: i64) -> ApiResult<Run> {
    let row = run_row(tx, id).await?;
    let dims = run_dims(tx, id).await?;
    Ok(row.into_model(dims))
}

/// What a trigger resolved before the run row is written.
pub(crate) struct Resolved {
    pub bench: BenchRow,
    pub workflow: VersionRow,
    pub judge: VersionRow,
}

/// Resolve the workflow version (from the run's channel, or pinned) and the judge version (from
/// the bench's judge channel, or pinned). This is what fixes a run's meaning at trigger time.
pub(crate) async fn resolve_versions(
    tx: &mut Tx,
    bench: BenchRow,
    channel: &str,
    workflow_version: Option<i64>,
    judge_version: Option<i64>,
) -> ApiResult<Resolved> {
    let workflow = match workflow_version {
        Some(n) => version_by_number(tx, bench.workflow_script_id, n).await?.ok_or_else(|| {
            ApiError::invalid("workflow_version", format!("workflow '{}' has no version {n}", bench.workflow))
        })?,
        None => version_by_channel(tx, bench.workflow_script_id, channel).await?.ok_or_else(|| {
            ApiError::invalid(
                "channel",
                format!("workflow '{}' has no channel '{channel}': publish a version to it first", bench.workflow),
            )
        })?,
    };
    let judge = match judge_version {
        Some(n) => version_by_number(tx, bench.judge_script_id, n).await?.ok_or_else(|| {
            ApiError::invalid("judge_version", format!("judge '{}' has no version {n}", bench.judge))
        })?,
        None => version_by_channel(tx, bench.judge_script_id, &bench.judge_channel).await?.ok_or_else(|| {
            ApiError::invalid(
                "judge_channel",
                format!("judge '{}' has no channel '{}' (the bench's judge channel)", bench.judge, bench.judge_channel),
            )
        })?,
    };
    Ok(Resolved { bench, workflow, judge })
}

/// A run's fixed selection: `None` for "every case up to `max_case_pk`".
pub(crate) struct Selection {
    pub case_ids: Option<Vec<String>>,
    pub total: i64,
    pub max_case_pk: i64,
}

pub(crate) async fn select_cases(
    tx: &mut Tx,
    bench_id: i64,
    case_ids: Option<&[String]>,
    mode: RunMode,
    sample_size: Option<i64>,
) -> ApiResult<Selection> {
    let (max_pk, count) = tx
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
                tx,
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
                return Err(ApiError::invalid(format!("case_ids[{i}]"), format!("the bench has no case '{}'", ids[i])));
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
            let k = sample_size.ok_or_else(|| ApiError::invalid("sample_size", "a sampled run needs sample_size"))?;
            let mut pool = match explicit {
                Some(v) => v,
                None => tx
                    .all::<(String,)>("SELECT case_id FROM cases WHERE bench_id = $1", args![bench_id])
                    .await?
                    .into_iter()
                    .map(|r| r.0)
                    .collect(),
            };
            if k < 1 || k as usize > pool.len() {
                return Err(ApiError::invalid(
                    "sample_size",
                    format!("must lie in [1, {}] (the cases to draw from)", pool.len()),
                ));
            }
            pool.shuffle(&mut rand::thread_rng());
            pool.truncate(k as usize);
            pool.sort();
            Ok(Selection { total: k, case_ids: Some(pool), max_case_pk })
        }
    }
}

/// Every field of a new run row.
pub(crate) struct NewRun<'a> {
    pub resolved: &'a Resolved,
    pub channel: &'a str,
    pub status: RunStatus,
    pub mode: RunMode,
    pub sample_size: Option<i64>,
    pub selection: &'a Selection,
    pub triggered_by: Option<String>,
    pub triggered_at: i64,
    pub completed_at: Option<i64>,
    pub notes: Option<String>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub error: Option<String>,
    pub metadata: Value,
    pub idempotency_key: Option<String>,
}

pub(crate) async fn insert_run(tx: &mut Tx, r: NewRun<'_>) -> Result<i64, sqlx::Error> {
    let res = r.resolved;
    let case_filter = r.selection.case_ids.as_ref().map(|v| serde_json::to_string(v).expect("ids serialise"));
    let (id,) = tx
        .one::<(i64,)>(
            "INSERT INTO runs (bench_id, bench_name, channel, workflow_script_name, workflow_version_id, \
             workflow_version_number, judge_script_name, judge_version_id, judge_version_number, status, mode, \
             sample_size, case_filter, max_case_pk, triggered_by, triggered_at, completed_at, notes, \
             mcp_session_id, model, system_prompt, temperature, error, metadata, idempotency_key, pass_threshold, \
             score_max, total_cases) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) RETURNING id",
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
                r.completed_at,
                r.notes,
                r.mcp_session_id,
                r.model.or_else(|| res.workflow.model.clone()),
                r.system_prompt.or_else(|| res.workflow.system_prompt.clone()),
                r.temperature.or(res.workflow.temperature),
                r.error,
                r.metadata.to_string(),
                r.idempotency_key,
                res.bench.pass_threshold,
                res.bench.score_max,
                r.selection.total
            ],
        )
        .await?;
    if let Some(ids) = &r.selection.case_ids {
        let rows = ids.iter().map(|c| vec![Val::from(id), Val::from(c)]).collect();
        BatchInsert { table: "run_cases", cols: &[("run_id", Ty::I64), ("case_id", Ty::Text)], suffix: "" }
            .run(tx, rows)
            .await?;
    }
    Ok(id)
}

pub(crate) fn check_metadata(field: &str, m: &Option<Value>) -> ApiResult<Value> {
    match m {
        None | Some(Value::Null) => Ok(Value::Object(Default::default())),
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(_) => Err(ApiError::invalid(field, "metadata must be a JSON object")),
    }
}

async fn existing_by_key(tx: &mut Tx, bench_id: i64, key: &str) -> ApiResult<Option<i64>> {
    Ok(tx
        .opt::<(i64,)>("SELECT id FROM runs WHERE bench_id = $1 AND idempotency_key = $2", args![bench_id, key])
        .await?
        .map(|r| r.0))
}

/// Status a finish request moves a run to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    Complete,
    Fail,
    Cancel,
}

impl Finish {
    fn status(self) -> RunStatus {
        match self {
            Finish::Complete => RunStatus::Completed,
            Finish::Fail => RunStatus::Failed,
            Finish::Cancel => RunStatus::Canceled,
        }
    }
}

/// The stored columns a result row contributes to its run's aggregates.
#[derive(sqlx::FromRow)]
pub(crate) struct ContributionRow {
    status: String,
    verdict: Option<String>,
    headline_score: Option<f64>,
    cost_usd: f64,
    duration_ms: Option<i64>,
    tokens_used: i64,
    cache_hit: bool,
}

impl ContributionRow {
    pub fn contribution(&self, dimensions: Vec<(String, f64)>) -> Contribution {
        Contribution {
            status: ResultStatus::parse(&self.status).unwrap_or(ResultStatus::Skipped),
            verdict: self.verdict.as_deref().and_then(Verdict::parse),
            headline_score: self.headline_score,
            cost_usd: self.cost_usd,
            duration_ms: self.duration_ms,
            tokens_used: self.tokens_used,
            cache_hit: self.cache_hit,
            dimensions,
        }
    }
}

/// Fold every result row of a run into exact sums (used when a run finishes, so drift from
/// floating-point add-and-subtract during ingestion never outlives the run).
pub(crate) async fn recompute_sums(tx: &mut Tx, run_id: i64) -> ApiResult<AggSums> {
    let rows = tx
        .all::<ContributionRow>(
            "SELECT status, verdict, headline_score, cost_usd, duration_ms, tokens_used, cache_hit \
             FROM results WHERE run_id = $1",
            args![run_id],
        )
        .await?;
    let mut sums = AggSums::default();
    for r in rows {
        sums.add(&r.contribution(Vec::new()));
    }
    let dims = tx
        .all::<(String, f64)>(
            "SELECT d.dimension, d.score FROM result_dimensions d JOIN results r ON r.id = d.result_id \
             WHERE r.run_id = $1",
            args![run_id],
        )
        .await?;
    let mut by_dim: BTreeMap<String, (f64, i64)> = BTreeMap::new();
    for (d, s) in dims {
        let e = by_dim.entry(d).or_insert((0.0, 0));
        e.0 += s;
        e.1 += 1;
    }
    sums.dimensions = by_dim;
    sums.cases_with_results = tx
        .one::<(i64,)>("SELECT COUNT(DISTINCT case_id) FROM results WHERE run_id = $1", args![run_id])
        .await?
        .0;
    Ok(sums)
}

/// Store absolute sums on a run (replacing its dimension rows).
pub(crate) async fn write_sums(tx: &mut Tx, run_id: i64, s: &AggSums) -> ApiResult<()> {
    tx.exec(
        "UPDATE runs SET results_count = $1, cases_with_results = $2, n_ok = $3, n_cached = $4, \
         n_workflow_failed = $5, n_judge_failed = $6, n_skipped = $7, passed = $8, failed = $9, \
         inconclusive = $10, scored_count = $11, score_sum = $12, cache_hit_cases = $13, total_cost_usd = $14, \
         latency_count = $15, latency_sum = $16, total_tokens = $17 WHERE id = $18",
        args![
            s.results_count,
            s.cases_with_results,
            s.by_status[0],
            s.by_status[1],
            s.by_status[2],
            s.by_status[3],
            s.by_status[4],
            s.passed,
            s.failed,
            s.inconclusive,
            s.scored_count,
            s.score_sum,
            s.cache_hit_cases,
            s.total_cost_usd,
            s.latency_count,
            s.latency_sum,
            s.total_tokens,
            run_id
        ],
    )
    .await?;
    tx.exec("DELETE FROM run_dimensions WHERE run_id = $1", args![run_id]).await?;
    let rows = s
        .dimensions
        .iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(d, (sum, n))| vec![Val::from(run_id), Val::from(d), Val::from(*sum), Val::from(*n)])
        .collect();
    BatchInsert {
        table: "run_dimensions",
        cols: &[("run_id", Ty::I64), ("dimension", Ty::Text), ("score_sum", Ty::F64), ("n", Ty::I64)],
        suffix: "",
    }
    .run(tx, rows)
    .await?;
    Ok(())
}

pub(crate) async fn finish_tx(
    tx: &mut Tx,
    id: i64,
    how: Finish,
    error: Option<String>,
    at: i64,
) -> ApiResult<Run> {
    if !lock_row(tx, "runs", id).await? {
        return Err(ApiError::not_found(format!("no run {id}")));
    }
    let row = run_row(tx, id).await?;
    if row.status().is_finished() {
        return run_model_tx(tx, id).await;
    }
    let sums = recompute_sums(tx, id).await?;
    write_sums(tx, id, &sums).await?;
    tx.exec(
        "UPDATE runs SET status = $1, completed_at = $2, error = COALESCE($3, error) WHERE id = $4",
        args![how.status().as_str(), at, error, id],
    )
    .await?;
    run_model_tx(tx, id).await
}

impl Store {
    /// Trigger a run. Returns the run and whether it was created (false: idempotent replay).
    pub async fn trigger_run(&self, t: &TriggerRun) -> ApiResult<(Run, bool)> {
        check_slug("channel", &t.channel)?;
        check_finite("temperature", t.temperature)?;
        let metadata = check_metadata("metadata", &t.metadata)?;
        if t.mode == RunMode::Full && t.sample_size.is_some() {
            return Err(ApiError::invalid("sample_size", "sample_size goes with mode 'sampled'"));
        }
        if let Some(k) = &t.idempotency_key {
            if k.is_empty() || k.len() > 256 {
                return Err(ApiError::invalid("idempotency_key", "must be 1–256 characters"));
            }
        }
        let mut tx = self.db.begin().await?;
        let bench = bench_by_name(&mut tx, &t.bench)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no bench named '{}'", t.bench)).field("bench"))?;
        if let Some(key) = &t.idempotency_key {
            if let Some(id) = existing_by_key(&mut tx, bench.id, key).await? {
                let run = run_model_tx(&mut tx, id).await?;
                tx.commit().await?;
                return Ok((run, false));
            }
        }
        let bench_id = bench.id;
        let resolved = resolve_versions(&mut tx, bench, &t.channel, t.workflow_version, t.judge_version).await?;
        let selection = select_cases(&mut tx, bench_id, t.case_ids.as_deref(), t.mode, t.sample_size).await?;
        let inserted = insert_run(
            &mut tx,
            NewRun {
                resolved: &resolved,
                channel: &t.channel,
                status: RunStatus::Pending,
                mode: t.mode,
                sample_size: t.sample_size,
                selection: &selection,
                triggered_by: t.triggered_by.clone(),
                triggered_at: now_ms(),
                completed_at: None,
                notes: t.notes.clone(),
                mcp_session_id: t.mcp_session_id.clone(),
                model: t.model.clone(),
                system_prompt: t.system_prompt.clone(),
                temperature: t.temperature,
                error: None,
                metadata,
                idempotency_key: t.idempotency_key.clone(),
            },
        )
        .await;
        match inserted {
            Ok(id) => {
                let run = run_model_tx(&mut tx, id).await?;
                tx.commit().await?;
                Ok((run, true))
            }
            // A concurrent trigger with the same key won the race (PostgreSQL): answer with its run.
            Err(e) if is_unique_violation(&e) && t.idempotency_key.is_some() => {
                drop(tx);
                let mut tx = self.db.begin().await?;
                let key = t.idempotency_key.as_deref().unwrap_or_default();
                let id = existing_by_key(&mut tx, bench_id, key).await?.ok_or_else(|| ApiError::internal(e))?;
                let run = run_model_tx(&mut tx, id).await?;
                tx.commit().await?;
                Ok((run, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_run(&self, id: i64) -> ApiResult<Run> {
        let row = self
            .db
            .opt::<RunRow>(&format!("{RUN_SELECT} WHERE id = $1"), args![id])
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no run {id}")))?;
        let dims = self
            .db
            .all::<(String, f64, i64)>(
                "SELECT dimension, score_sum, n FROM run_dimensions WHERE run_id = $1 ORDER BY dimension",
                args![id],
            )
            .await?;
        Ok(row.into_model(dims))
    }

    pub async fn finish_run(&self, id: i64, how: Finish, error: Option<String>) -> ApiResult<Run> {
        let mut tx = self.db.begin().await?;
        let run = finish_tx(&mut tx, id, how, error, now_ms()).await?;
        tx.commit().await?;
        Ok(run)
    }

    pub async fn delete_run(&self, id: i64) -> ApiResult<()> {
        let mut tx = self.db.begin().await?;
        let n = tx.exec("DELETE FROM runs WHERE id = $1", args![id]).await?;
        if n == 0 {
            return Err(ApiError::not_found(format!("no run {id}")));
        }
        tx.commit().await?;
        // SQLite gives the highest rowid again once it is deleted: a finished run's cached
        // charts must not outlive it.
        crate::server::charts::forget(&format!("run:{id}:"));
        Ok(())
    }

    /// The exact sums recomputed from the rows, next to the stored ones (for tests and checks).
    pub async fn recomputed_run(&self, id: i64) -> ApiResult<Run> {
        let mut tx = self.db.begin_read().await?;
        let row = run_row(&mut tx, id).await?;
        let sums = recompute_sums(&mut tx, id).await?;
        drop(tx);
        let dims = sums.dimensions.iter().map(|(d, (s, n))| (d.clone(), *s, *n)).collect();
        let mut fixed = row.clone();
        fixed.results_count = sums.results_count;
        fixed.cases_with_results = sums.cases_with_results;
        [fixed.n_ok, fixed.n_cached, fixed.n_workflow_failed, fixed.n_judge_failed, fixed.n_skipped] = sums.by_status;
        fixed.passed = sums.passed;
        fixed.failed = sums.failed;
        fixed.inconclusive = sums.inconclusive;
        fixed.scored_count = sums.scored_count;
        fixed.score_sum = sums.score_sum;
        fixed.cache_hit_cases = sums.cache_hit_cases;
        fixed.total_cost_usd = sums.total_cost_usd;
        fixed.latency_count = sums.latency_count;
        fixed.latency_sum = sums.latency_sum;
        fixed.total_tokens = sums.total_tokens;
        Ok(fixed.into_model(dims))
    }
}
