//! Result rows: a whole result, its scorer results and trace rows, and the summary a results
//! page lists.

use std::collections::BTreeMap;

use crate::model::{ResultDetail, ResultSummary, ScorerResult, ToolCall, Trace, TraceStep};
use crate::server::sql::sqlite_raw::RowRef;
use crate::server::store::text_json;
use crate::server::time::fmt_ms;

/// Every column of a result row, with its output body.
pub(crate) const RESULT_SELECT: &str = "SELECT r.id, r.seq, r.run_id, r.case_id, r.case_name, r.epoch, r.status, r.verdict, \
     r.headline_score, r.duration_ms, r.input_tokens, r.output_tokens, r.tool_tokens, r.tokens_used, r.workflow_cost_usd, \
     r.judge_cost_usd, r.cost_usd, r.cache_hit, r.input_hash, r.workflow_execution_id, r.judge_execution_id, r.created_at, \
     r.error, r.score, o.workflow_output FROM results r LEFT JOIN result_outputs o ON o.result_id = r.id";

#[derive(sqlx::FromRow)]
pub(crate) struct ResultRow {
    pub id: i64,
    /// The row's place in its run's event stream (`results.seq`).
    pub seq: i64,
    pub run_id: i64,
    pub case_id: String,
    pub case_name: Option<String>,
    pub epoch: i64,
    pub status: String,
    pub verdict: Option<String>,
    pub headline_score: Option<f64>,
    pub duration_ms: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub tool_tokens: Option<i64>,
    pub tokens_used: i64,
    pub workflow_cost_usd: Option<f64>,
    pub judge_cost_usd: Option<f64>,
    pub cost_usd: f64,
    pub cache_hit: bool,
    pub input_hash: Option<String>,
    pub workflow_execution_id: Option<String>,
    pub judge_execution_id: Option<String>,
    pub created_at: i64,
    pub error: Option<String>,
    pub score: Option<String>,
    pub workflow_output: Option<String>,
}

impl ResultRow {
    /// A row of [`RESULT_SELECT`] stepped by the SQLite fast reader (columns in its order).
    pub fn from_raw(r: &RowRef<'_>) -> ResultRow {
        let text = |c| r.text(c).map(|t| t.into_owned());
        let int = |c| (!r.is_null(c)).then(|| r.i64(c));
        ResultRow {
            id: r.i64(0),
            seq: r.i64(1),
            run_id: r.i64(2),
            case_id: text(3).unwrap_or_default(),
            case_name: text(4),
            epoch: r.i64(5),
            status: text(6).unwrap_or_default(),
            verdict: text(7),
            headline_score: r.opt_f64(8),
            duration_ms: int(9),
            input_tokens: int(10),
            output_tokens: int(11),
            tool_tokens: int(12),
            tokens_used: r.i64(13),
            workflow_cost_usd: r.opt_f64(14),
            judge_cost_usd: r.opt_f64(15),
            cost_usd: r.f64(16),
            cache_hit: r.i64(17) != 0,
            input_hash: text(18),
            workflow_execution_id: text(19),
            judge_execution_id: text(20),
            created_at: r.i64(21),
            error: text(22),
            score: text(23),
            workflow_output: text(24),
        }
    }

    /// The seed's `BenchResult`: every column, without the parts read one result at a time
    /// (scorer results, dimensions, trace) — what `/bench-runs/{id}/results` lists and what a
    /// `result` event carries.
    pub fn into_seed_json(self) -> Result<serde_json::Value, crate::server::store::StoreError> {
        let mut v = serde_json::to_value(self.into_detail(Vec::new(), BTreeMap::new(), Trace::default()))
            .map_err(crate::server::store::StoreError::internal)?;
        if let Some(o) = v.as_object_mut() {
            for k in ["scorer_results", "dimension_scores", "trace"] {
                o.remove(k);
            }
        }
        Ok(v)
    }

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

#[derive(sqlx::FromRow)]
pub(crate) struct ScorerRow {
    pub scorer_name: String,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub dimension: Option<String>,
    pub details: Option<String>,
}

pub(crate) const SCORER_SELECT: &str =
    "SELECT scorer_name, score, passed, reason, dimension, details FROM scorer_results";

impl From<ScorerRow> for ScorerResult {
    fn from(s: ScorerRow) -> Self {
        ScorerResult {
            scorer_name: s.scorer_name,
            score: s.score,
            passed: s.passed,
            reason: s.reason,
            dimension: s.dimension,
            details: text_json(s.details),
        }
    }
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

pub(crate) const STEP_SELECT: &str =
    "SELECT position, step_index, type, name, output, tokens_used, duration_ms FROM trace_steps";

impl From<StepRow> for TraceStep {
    fn from(s: StepRow) -> Self {
        TraceStep {
            index: s.step_index,
            step_type: s.step_type,
            name: s.name,
            output: s.output,
            tokens_used: s.tokens_used,
            duration_ms: s.duration_ms,
        }
    }
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

/// The columns of [`CallRow`], qualified by `c.` so it can be joined.
pub(crate) const CALL_COLS: &str =
    "c.position, c.step_index, c.tool_name, c.arguments, c.result, c.error, c.duration_ms";

impl From<CallRow> for ToolCall {
    fn from(c: CallRow) -> Self {
        ToolCall {
            step_index: c.step_index,
            tool_name: c.tool_name,
            arguments: c.arguments,
            result: c.result,
            error: c.error,
            duration_ms: c.duration_ms,
        }
    }
}

/// What a results page lists of a result: no trace, no output body, a short preview.
#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    pub id: i64,
    pub run_id: i64,
    pub case_id: String,
    pub case_name: Option<String>,
    pub epoch: i64,
    pub status: String,
    pub verdict: Option<String>,
    pub headline_score: Option<f64>,
    pub cost_usd: f64,
    pub duration_ms: Option<i64>,
    pub tokens_used: i64,
    pub cache_hit: bool,
    pub error: Option<String>,
    pub output_preview: Option<String>,
    pub created_at: i64,
}

pub(crate) const SUMMARY_COLS: &str = "r.id, r.run_id, r.case_id, r.case_name, r.epoch, r.status, r.verdict, \
     r.headline_score, r.cost_usd, r.duration_ms, r.tokens_used, r.cache_hit, r.error, r.output_preview, r.created_at";

impl From<SummaryRow> for ResultSummary {
    fn from(r: SummaryRow) -> Self {
        ResultSummary {
            id: r.id,
            bench_run_id: r.run_id,
            case_id: r.case_id,
            case_name: r.case_name,
            epoch: r.epoch,
            status: r.status,
            verdict: r.verdict,
            headline_score: r.headline_score,
            cost_usd: r.cost_usd,
            duration_ms: r.duration_ms,
            tokens_used: r.tokens_used,
            cache_hit: r.cache_hit,
            error: r.error,
            output_preview: r.output_preview,
            created_at: fmt_ms(r.created_at),
            snippet: None,
        }
    }
}
