//! Result ingestion: a batch is validated whole, re-sent `(case, epoch)` rows replace the old
//! ones, children (scorers, dimensions, outputs, traces) go in with multi-row inserts, and the
//! run's aggregates move by the batch's delta — all in the caller's transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::runs::{run_row, ContributionRow, RunRow};
use super::{json_text, lock_row, select_in, text_json, BatchInsert, Store, Ty};
use crate::args;
use crate::domain::aggregate::{AggSums, Contribution};
use crate::domain::{verdict, ResultStatus, Verdict};
use crate::model::{IngestCounts, ResultDetail, ScorerResult, ToolCall, Trace, TraceStep};
use crate::server::db::{any_of, Keys, Tx, Val};
use crate::server::error::{ApiError, ApiResult};
use crate::server::input::{
    check_case_id, check_non_negative_f, check_non_negative_i, check_score, ResultInput,
};
use crate::server::time::{fmt_ms, now_ms};

pub const MAX_BATCH: usize = 10_000;
const PREVIEW_CHARS: usize = 240;

/// One validated result, ready to write.
struct Prepared {
    case_id: String,
    epoch: i64,
    status: ResultStatus,
    verdict: Option<Verdict>,
    headline_score: Option<f64>,
    score: Option<String>,
    output: Option<String>,
    preview: Option<String>,
    error: Option<String>,
    duration_ms: Option<i64>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    tool_tokens: Option<i64>,
    tokens_used: i64,
    workflow_cost_usd: Option<f64>,
    judge_cost_usd: Option<f64>,
    cost_usd: f64,
    cache_hit: bool,
    input_hash: Option<String>,
    workflow_execution_id: Option<String>,
    judge_execution_id: Option<String>,
    scorers: Vec<ScorerResult>,
    dimensions: BTreeMap<String, f64>,
    steps: Vec<TraceStep>,
    tool_calls: Vec<ToolCall>,
}

impl Prepared {
    fn contribution(&self) -> Contribution {
        Contribution {
            status: self.status,
            verdict: self.verdict,
            headline_score: self.headline_score,
            cost_usd: self.cost_usd,
            duration_ms: self.duration_ms,
            tokens_used: self.tokens_used,
            cache_hit: self.cache_hit,
            dimensions: self.dimensions.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}

/// A short plain-text preview of an output for list rows.
pub fn preview(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn sum_opt_i(parts: &[Option<i64>]) -> Option<i64> {
    parts.iter().any(Option::is_some).then(|| parts.iter().flatten().sum())
}

/// Check one result against the run's score scale and derive its stored fields.
fn prepare(i: usize, r: ResultInput, run: &RunRow) -> ApiResult<Prepared> {
    let f = |name: &str| format!("results[{i}].{name}");
    check_case_id(&f("case_id"), &r.case_id)?;
    let epoch = r.epoch.unwrap_or(1);
    if epoch < 1 {
        return Err(ApiError::invalid(f("epoch"), "epochs count from 1"));
    }
    check_score(&f("headline_score"), r.headline_score, run.score_max)?;
    check_non_negative_i(&f("duration_ms"), r.duration_ms)?;
    check_non_negative_i(&f("input_tokens"), r.input_tokens)?;
    check_non_negative_i(&f("output_tokens"), r.output_tokens)?;
    check_non_negative_i(&f("tool_tokens"), r.tool_tokens)?;
    check_non_negative_i(&f("tokens_used"), r.tokens_used)?;
    check_non_negative_f(&f("workflow_cost_usd"), r.workflow_cost_usd)?;
    check_non_negative_f(&f("judge_cost_usd"), r.judge_cost_usd)?;
    check_non_negative_f(&f("cost_usd"), r.cost_usd)?;

    let halves = (r.workflow_cost_usd.is_some() || r.judge_cost_usd.is_some())
        .then(|| r.workflow_cost_usd.unwrap_or(0.0) + r.judge_cost_usd.unwrap_or(0.0));
    let cost_usd = match (halves, r.cost_usd) {
        (Some(h), Some(c)) if (h - c).abs() > 1e-9 * h.abs().max(1.0) => {
            return Err(ApiError::invalid(
                f("cost_usd"),
                format!("cost_usd {c} is not workflow_cost_usd + judge_cost_usd = {h}"),
            ))
        }
        (Some(h), _) => h,
        (None, Some(c)) => c,
        (None, None) => 0.0,
    };
    let parts = sum_opt_i(&[r.input_tokens, r.output_tokens, r.tool_tokens]);
    let tokens_used = match (parts, r.tokens_used) {
        (Some(p), Some(t)) if p != t => {
            return Err(ApiError::invalid(
                f("tokens_used"),
                format!("tokens_used {t} is not input + output + tool tokens = {p}"),
            ))
        }
        (Some(p), _) => p,
        (None, Some(t)) => t,
        (None, None) => 0,
    };

    let mut scorers = Vec::with_capacity(r.scorer_results.len());
    for (j, s) in r.scorer_results.into_iter().enumerate() {
        if s.scorer_name.is_empty() {
            return Err(ApiError::invalid(f(&format!("scorer_results[{j}].scorer_name")), "must not be empty"));
        }
        check_score(&f(&format!("scorer_results[{j}].score")), s.score, run.score_max)?;
        scorers.push(ScorerResult {
            scorer_name: s.scorer_name,
            score: s.score,
            passed: s.passed,
            reason: s.reason,
            dimension: s.dimension,
            details: s.details,
        });
    }
    for (dim, score) in &r.dimension_scores {
        if dim.is_empty() {
            return Err(ApiError::invalid(f("dimension_scores"), "a dimension name must not be empty"));
        }
        check_score(&f(&format!("dimension_scores.{dim}")), Some(*score), run.score_max)?;
    }
    let trace = r.trace.unwrap_or_default();
    let mut steps = Vec::with_capacity(trace.steps.len());
    for (j, s) in trace.steps.into_iter().enumerate() {
        check_non_negative_i(&f(&format!("trace.steps[{j}].duration_ms")), s.duration_ms)?;
        check_non_negative_i(&f(&format!("trace.steps[{j}].tokens_used")), s.tokens_used)?;
        let index = s.index.unwrap_or(j as i64);
        let mut step = TraceStep::from(s);
        step.index = index;
        steps.push(step);
    }
    let mut tool_calls = Vec::with_capacity(trace.tool_calls.len());
    for (j, t) in trace.tool_calls.into_iter().enumerate() {
        if t.tool_name.is_empty() {
            return Err(ApiError::invalid(f(&format!("trace.tool_calls[{j}].tool_name")), "must not be empty"));
        }
        check_non_negative_i(&f(&format!("trace.tool_calls[{j}].duration_ms")), t.duration_ms)?;
        tool_calls.push(ToolCall::from(t));
    }
    let preview_text = r.workflow_output.as_ref().filter(|v| !v.is_null()).map(preview);
    Ok(Prepared {
        case_id: r.case_id,
        epoch,
        verdict: verdict(r.status, r.headline_score, run.pass_threshold),
        status: r.status,
        headline_score: r.headline_score,
        score: json_text(&r.score),
        output: json_text(&r.workflow_output),
        preview: preview_text,
        error: r.error,
        duration_ms: r.duration_ms,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        tool_tokens: r.tool_tokens,
        tokens_used,
        workflow_cost_usd: r.workflow_cost_usd,
        judge_cost_usd: r.judge_cost_usd,
        cost_usd,
        cache_hit: r.cache_hit,
        input_hash: r.input_hash,
        workflow_execution_id: r.workflow_execution_id,
        judge_execution_id: r.judge_execution_id,
        scorers,
        dimensions: r.dimension_scores,
        steps,
        tool_calls,
    })
}

#[derive(sqlx::FromRow)]
struct OldRow {
    id: i64,
    case_id: String,
    epoch: i64,
    #[sqlx(flatten)]
    sums: ContributionRow,
}

const RESULT_COLS: &[(&str, Ty)] = &[
    ("run_id", Ty::I64),
    ("case_id", Ty::Text),
    ("case_name", Ty::Text),
    ("epoch", Ty::I64),
    ("status", Ty::Text),
    ("verdict", Ty::Text),
    ("headline_score", Ty::F64),
    ("duration_ms", Ty::I64),
    ("input_tokens", Ty::I64),
    ("output_tokens", Ty::I64),
    ("tool_tokens", Ty::I64),
    ("tokens_used", Ty::I64),
    ("workflow_cost_usd", Ty::F64),
    ("judge_cost_usd", Ty::F64),
    ("cost_usd", Ty::F64),
    ("cache_hit", Ty::Bool),
    ("input_hash", Ty::Text),
    ("workflow_execution_id", Ty::Text),
    ("judge_execution_id", Ty::Text),
    ("created_at", Ty::I64),
    ("error", Ty::Text),
    ("output_preview", Ty::Text),
    ("score", Ty::Text),
];

/// Ingest a batch into a run inside `tx`.
pub(crate) async fn ingest_tx(tx: &mut Tx, run_id: i64, results: Vec<ResultInput>) -> ApiResult<IngestCounts> {
    if results.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "results",
            format!("{} results in one batch; send at most {MAX_BATCH}", results.len()),
        ));
    }
    if !lock_row(tx, "runs", run_id).await? {
        return Err(ApiError::not_found(format!("no run {run_id}")));
    }
    let run = run_row(tx, run_id).await?;
    if run.status().is_finished() {
        return Err(ApiError::conflict(
            "run_finished",
            format!("run {run_id} is {}: it takes no more results", run.status),
        ));
    }
    if results.is_empty() {
        return Ok(IngestCounts::default());
    }

    // Validate the whole batch before writing anything.
    let mut prepared = Vec::with_capacity(results.len());
    let mut keys = HashSet::with_capacity(results.len());
    for (i, r) in results.into_iter().enumerate() {
        let p = prepare(i, r, &run)?;
        if !keys.insert((p.case_id.clone(), p.epoch)) {
            return Err(ApiError::invalid(
                format!("results[{i}]"),
                format!("case '{}' epoch {} appears twice in this batch", p.case_id, p.epoch),
            ));
        }
        prepared.push(p);
    }
    let mut case_ids: Vec<String> = prepared.iter().map(|p| p.case_id.clone()).collect();
    case_ids.sort();
    case_ids.dedup();

    // The cases must be in the run's selection; their names and input hashes are copied.
    let cases: HashMap<String, (i64, Option<String>, String)> = select_in::<(i64, String, Option<String>, String)>(
        tx,
        "SELECT id, case_id, name, input_hash FROM cases WHERE bench_id = $1 AND {in}",
        args![run.bench_id],
        "case_id",
        &case_ids,
    )
    .await?
    .into_iter()
    .map(|(pk, id, name, hash)| (id, (pk, name, hash)))
    .collect();
    let selected: Option<HashSet<String>> = if run.has_explicit_selection() {
        Some(
            select_in::<(String,)>(
                tx,
                "SELECT case_id FROM run_cases WHERE run_id = $1 AND {in}",
                args![run_id],
                "case_id",
                &case_ids,
            )
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect(),
        )
    } else {
        None
    };
    for (i, p) in prepared.iter().enumerate() {
        let in_selection = match (&selected, cases.get(&p.case_id)) {
            (_, None) => false,
            (Some(sel), Some(_)) => sel.contains(&p.case_id),
            (None, Some((pk, _, _))) => *pk <= run.max_case_pk,
        };
        if !in_selection {
            return Err(ApiError::invalid(
                format!("results[{i}].case_id"),
                format!("case '{}' is not in run {run_id}'s selection", p.case_id),
            ));
        }
    }

    // Rows this batch replaces, and what they contributed.
    let old: Vec<OldRow> = select_in::<OldRow>(
        tx,
        "SELECT id, case_id, epoch, status, verdict, headline_score, cost_usd, duration_ms, tokens_used, cache_hit \
         FROM results WHERE run_id = $1 AND {in}",
        args![run_id],
        "case_id",
        &case_ids,
    )
    .await?;
    let cases_seen_before: HashSet<&str> = old.iter().map(|o| o.case_id.as_str()).collect();
    let new_cases = case_ids.iter().filter(|c| !cases_seen_before.contains(c.as_str())).count() as i64;
    let replaced: Vec<&OldRow> = old.iter().filter(|o| keys.contains(&(o.case_id.clone(), o.epoch))).collect();
    let mut delta = AggSums::default();
    if !replaced.is_empty() {
        let ids: Vec<i64> = replaced.iter().map(|o| o.id).collect();
        let mut old_dims: HashMap<i64, Vec<(String, f64)>> = HashMap::new();
        let (pred, keys) = any_of(tx.backend(), "result_id", 1, Keys::Int(&ids));
        let rows = tx
            .all::<(i64, String, f64)>(
                &format!("SELECT result_id, dimension, score FROM result_dimensions WHERE {pred}"),
                vec![keys],
            )
            .await?;
        for (rid, d, s) in rows {
            old_dims.entry(rid).or_default().push((d, s));
        }
        for o in &replaced {
            delta.sub(&o.sums.contribution(old_dims.remove(&o.id).unwrap_or_default()));
        }
        let (pred, keys) = any_of(tx.backend(), "id", 1, Keys::Int(&ids));
        tx.exec(&format!("DELETE FROM results WHERE {pred}"), vec![keys]).await?;
    }
    for p in &prepared {
        delta.add(&p.contribution());
    }
    delta.cases_with_results = new_cases;

    // The result rows, then their children keyed by the ids the insert hands back.
    let now = now_ms();
    let rows: Vec<Vec<Val>> = prepared
        .iter()
        .map(|p| {
            let case = cases.get(&p.case_id);
            vec![
                Val::from(run_id),
                Val::from(&p.case_id),
                Val::from(case.and_then(|c| c.1.clone())),
                Val::from(p.epoch),
                Val::from(p.status.as_str()),
                Val::from(p.verdict.map(|v| v.as_str())),
                Val::from(p.headline_score),
                Val::from(p.duration_ms),
                Val::from(p.input_tokens),
                Val::from(p.output_tokens),
                Val::from(p.tool_tokens),
                Val::from(p.tokens_used),
                Val::from(p.workflow_cost_usd),
                Val::from(p.judge_cost_usd),
                Val::from(p.cost_usd),
                Val::from(p.cache_hit),
                Val::from(p.input_hash.clone().or_else(|| case.map(|c| c.2.clone()))),
                Val::from(p.workflow_execution_id.clone()),
                Val::from(p.judge_execution_id.clone()),
                Val::from(now),
                Val::from(p.error.clone()),
                Val::from(p.preview.clone()),
                Val::from(p.score.clone()),
            ]
        })
        .collect();
    let ids: HashMap<(String, i64), i64> = BatchInsert { table: "results", cols: RESULT_COLS, suffix: "RETURNING id, case_id, epoch" }
        .returning::<(i64, String, i64)>(tx, rows)
        .await?
        .into_iter()
        .map(|(id, c, e)| ((c, e), id))
        .collect();

    let mut outputs = Vec::new();
    let mut scorers = Vec::new();
    let mut dims = Vec::new();
    let mut steps = Vec::new();
    let mut calls = Vec::new();
    for p in prepared {
        let rid = *ids
            .get(&(p.case_id.clone(), p.epoch))
            .ok_or_else(|| ApiError::internal("inserted result id not returned"))?;
        if let Some(o) = p.output {
            outputs.push(vec![Val::from(rid), Val::from(o)]);
        }
        for (pos, s) in p.scorers.into_iter().enumerate() {
            scorers.push(vec![
                Val::from(rid),
                Val::from(pos as i64),
                Val::from(s.scorer_name),
                Val::from(s.score),
                Val::from(s.passed),
                Val::from(s.reason),
                Val::from(s.dimension),
                Val::from(json_text(&s.details)),
            ]);
        }
        for (d, s) in p.dimensions {
            dims.push(vec![Val::from(rid), Val::from(d), Val::from(s)]);
        }
        for (pos, s) in p.steps.into_iter().enumerate() {
            steps.push(vec![
                Val::from(rid),
                Val::from(pos as i64),
                Val::from(s.index),
                Val::from(s.step_type),
                Val::from(s.name),
                Val::from(s.output),
                Val::from(s.tokens_used),
                Val::from(s.duration_ms),
            ]);
        }
        for (pos, t) in p.tool_calls.into_iter().enumerate() {
            calls.push(vec![
                Val::from(rid),
                Val::from(pos as i64),
                Val::from(t.step_index),
                Val::from(t.tool_name),
                Val::from(t.arguments),
                Val::from(t.result),
                Val::from(t.error),
                Val::from(t.duration_ms),
            ]);
        }
    }
    BatchInsert { table: "result_outputs", cols: &[("result_id", Ty::I64), ("workflow_output", Ty::Text)], suffix: "" }
        .run(tx, outputs)
        .await?;
    BatchInsert {
        table: "scorer_results",
        cols: &[
            ("result_id", Ty::I64),
            ("position", Ty::I64),
            ("scorer_name", Ty::Text),
            ("score", Ty::F64),
            ("passed", Ty::Bool),
            ("reason", Ty::Text),
            ("dimension", Ty::Text),
            ("details", Ty::Text),
        ],
        suffix: "",
    }
    .run(tx, scorers)
    .await?;
    BatchInsert {
        table: "result_dimensions",
        cols: &[("result_id", Ty::I64), ("dimension", Ty::Text), ("score", Ty::F64)],
        suffix: "",
    }
    .run(tx, dims)
    .await?;
    BatchInsert {
        table: "trace_steps",
        cols: &[
            ("result_id", Ty::I64),
            ("position", Ty::I64),
            ("step_index", Ty::I64),
            ("type", Ty::Text),
            ("name", Ty::Text),
            ("output", Ty::Text),
            ("tokens_used", Ty::I64),
            ("duration_ms", Ty::I64),
        ],
        suffix: "",
    }
    .run(tx, steps)
    .await?;
    BatchInsert {
        table: "tool_calls",
        cols: &[
            ("result_id", Ty::I64),
            ("position", Ty::I64),
            ("step_index", Ty::I64),
            ("tool_name", Ty::Text),
            ("arguments", Ty::Text),
            ("result", Ty::Text),
            ("error", Ty::Text),
            ("duration_ms", Ty::I64),
        ],
        suffix: "",
    }
    .run(tx, calls)
    .await?;

    apply_delta(tx, &run, &delta, now).await?;
    Ok(IngestCounts { inserted: ids.len() as i64 - replaced.len() as i64, replaced: replaced.len() as i64 })
}

/// Move a run's stored sums by `d`, and a pending run to running.
async fn apply_delta(tx: &mut Tx, run: &RunRow, d: &AggSums, now: i64) -> ApiResult<()> {
    tx.exec(
        "UPDATE runs SET results_count = results_count + $1, cases_with_results = cases_with_results + $2, \
         n_ok = n_ok + $3, n_cached = n_cached + $4, n_workflow_failed = n_workflow_failed + $5, \
         n_judge_failed = n_judge_failed + $6, n_skipped = n_skipped + $7, passed = passed + $8, \
         failed = failed + $9, inconclusive = inconclusive + $10, scored_count = scored_count + $11, \
         score_sum = score_sum + $12, cache_hit_cases = cache_hit_cases + $13, \
         total_cost_usd = total_cost_usd + $14, latency_count = latency_count + $15, \
         latency_sum = latency_sum + $16, total_tokens = total_tokens + $17, last_result_at = $18, \
         status = CASE WHEN status = 'pending' THEN 'running' ELSE status END WHERE id = $19",
        args![
            d.results_count,
            d.cases_with_results,
            d.by_status[0],
            d.by_status[1],
            d.by_status[2],
            d.by_status[3],
            d.by_status[4],
            d.passed,
            d.failed,
            d.inconclusive,
            d.scored_count,
            d.score_sum,
            d.cache_hit_cases,
            d.total_cost_usd,
            d.latency_count,
            d.latency_sum,
            d.total_tokens,
            now,
            run.id
        ],
    )
    .await?;
    let rows: Vec<Vec<Val>> = d
        .dimensions
        .iter()
        .map(|(dim, (s, n))| vec![Val::from(run.id), Val::from(dim), Val::from(*s), Val::from(*n)])
        .collect();
    BatchInsert {
        table: "run_dimensions",
        cols: &[("run_id", Ty::I64), ("dimension", Ty::Text), ("score_sum", Ty::F64), ("n", Ty::I64)],
        suffix: "ON CONFLICT (run_id, dimension) DO UPDATE SET score_sum = run_dimensions.score_sum + excluded.score_sum, \
                 n = run_dimensions.n + excluded.n",
    }
    .run(tx, rows)
    .await?;
    Ok(())
}

/// Every column of a result row, with its output body.
pub(crate) const RESULT_SELECT: &str = "SELECT r.id, r.run_id, r.case_id, r.case_name, r.epoch, r.status, r.verdict, \
     r.headline_score, r.duration_ms, r.input_tokens, r.output_tokens, r.tool_tokens, r.tokens_used, r.workflow_cost_usd, \
     r.judge_cost_usd, r.cost_usd, r.cache_hit, r.input_hash, r.workflow_execution_id, r.judge_execution_id, r.created_at, \
     r.error, r.score, o.workflow_output FROM results r LEFT JOIN result_outputs o ON o.result_id = r.id";

#[derive(sqlx::FromRow)]
pub(crate) struct ResultRow {
    id: i64,
    run_id: i64,
    case_id: String,
    case_name: Option<String>,
    epoch: i64,
    status: String,
    verdict: Option<String>,
    headline_score: Option<f64>,
    duration_ms: Option<i64>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    tool_tokens: Option<i64>,
    tokens_used: i64,
    workflow_cost_usd: Option<f64>,
    judge_cost_usd: Option<f64>,
    cost_usd: f64,
    cache_hit: bool,
    input_hash: Option<String>,
    workflow_execution_id: Option<String>,
    judge_execution_id: Option<String>,
    created_at: i64,
    error: Option<String>,
    score: Option<String>,
    workflow_output: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ScorerRow {
    scorer_name: String,
    score: Option<f64>,
    passed: Option<bool>,
    reason: Option<String>,
    dimension: Option<String>,
    details: Option<String>,
}

/// A stored trace step (the whole trace of a result, and the case page's trace pages).
#[derive(sqlx::FromRow)]
pub(crate) struct StepRow {
    pub position: i64,
    pub step_index: i64,
    #[sqlx(rename = "type")]
    pub step_type: Option<String>,
    pub name: Option<String>,
    pub output: Option<String>,
    pub tokens_used: Option<i64>,
    pub duration_ms: Option<i64>,
}

/// A stored tool call.
#[derive(sqlx::FromRow)]
pub(crate) struct CallRow {
    pub position: i64,
    pub step_index: Option<i64>,
    pub tool_name: String,
    pub arguments: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

impl ResultRow {
    pub fn into_detail(
        self,
        scorer_results: Vec<ScorerResult>,
        dimension_scores: BTreeMap<String, f64>,
        trace: Trace,
    ) -> ResultDetail {
        ResultDetail {
            id: self.id,
            bench_run_id: self.run_id,
            case_id: self.case_id,
            case_name: self.case_name,
            epoch: self.epoch,
            status: self.status,
            verdict: self.verdict,
            headline_score: self.headline_score,
            score: text_json(self.score),
            workflow_output: text_json(self.workflow_output),
            error: self.error,
            duration_ms: self.duration_ms,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            tool_tokens: self.tool_tokens,
            tokens_used: self.tokens_used,
            workflow_cost_usd: self.workflow_cost_usd,
            judge_cost_usd: self.judge_cost_usd,
            cost_usd: self.cost_usd,
            cache_hit: self.cache_hit,
            input_hash: self.input_hash,
            workflow_execution_id: self.workflow_execution_id,
            judge_execution_id: self.judge_execution_id,
            created_at: fmt_ms(self.created_at),
            scorer_results,
            dimension_scores,
            trace,
        }
    }
}

impl Store {
    pub async fn ingest_results(&self, run_id: i64, results: Vec<ResultInput>) -> ApiResult<IngestCounts> {
        let mut tx = self.db.begin().await?;
        let counts = ingest_tx(&mut tx, run_id, results).await?;
        tx.commit().await?;
        Ok(counts)
    }

    /// One result, whole: scorer results, dimensions and the full trace.
    pub async fn get_result(&self, run_id: i64, case_id: &str, epoch: i64) -> ApiResult<ResultDetail> {
        let mut r = self.get_result_head(run_id, case_id, epoch).await?;
        r.trace = self.get_trace(r.id).await?;
        Ok(r)
    }

    /// One result with its scorer results and dimensions, without its trace (which can be
    /// thousands of steps: pages read it a page at a time).
    pub async fn get_result_head(&self, run_id: i64, case_id: &str, epoch: i64) -> ApiResult<ResultDetail> {
        let r = self
            .db
            .opt::<ResultRow>(
                &format!("{RESULT_SELECT} WHERE r.run_id = $1 AND r.case_id = $2 AND r.epoch = $3"),
                args![run_id, case_id, epoch],
            )
            .await?
            .ok_or_else(|| ApiError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}")))?;
        let scorers = self
            .db
            .all::<ScorerRow>(
                "SELECT scorer_name, score, passed, reason, dimension, details FROM scorer_results \
                 WHERE result_id = $1 ORDER BY position",
                args![r.id],
            )
            .await?
            .into_iter()
            .map(|s| ScorerResult {
                scorer_name: s.scorer_name,
                score: s.score,
                passed: s.passed,
                reason: s.reason,
                dimension: s.dimension,
                details: text_json(s.details),
            })
            .collect();
        let dimension_scores = self
            .db
            .all::<(String, f64)>(
                "SELECT dimension, score FROM result_dimensions WHERE result_id = $1 ORDER BY dimension",
                args![r.id],
            )
            .await?
            .into_iter()
            .collect();
        Ok(r.into_detail(scorers, dimension_scores, Trace::default()))
    }

    async fn get_trace(&self, result_id: i64) -> ApiResult<Trace> {
        let steps = self
            .db
            .all::<StepRow>(
                "SELECT position, step_index, type, name, output, tokens_used, duration_ms FROM trace_steps \
                 WHERE result_id = $1 ORDER BY position",
                args![result_id],
            )
            .await?
            .into_iter()
            .map(|s| TraceStep {
                index: s.step_index,
                step_type: s.step_type,
                name: s.name,
                output: s.output,
                tokens_used: s.tokens_used,
                duration_ms: s.duration_ms,
            })
            .collect();
        let tool_calls = self
            .db
            .all::<CallRow>(
                "SELECT position, step_index, tool_name, arguments, result, error, duration_ms FROM tool_calls \
                 WHERE result_id = $1 ORDER BY position",
                args![result_id],
            )
            .await?
            .into_iter()
            .map(|c| ToolCall {
                step_index: c.step_index,
                tool_name: c.tool_name,
                arguments: c.arguments,
                result: c.result,
                error: c.error,
                duration_ms: c.duration_ms,
            })
            .collect();
        Ok(Trace { steps, tool_calls })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_truncates_on_a_char_boundary() {
        let long = "é".repeat(500);
        let p = preview(&serde_json::Value::String(long));
        assert_eq!(p.chars().count(), PREVIEW_CHARS + 1);
        assert!(p.ends_with('…'));
        assert_eq!(preview(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
    }
}
