//! Validating one result of a batch against its run's score scale, and deriving the fields that
//! are stored (verdict, total cost and tokens, output preview). Nothing here touches the database.

use std::collections::BTreeMap;

use crate::domain::{verdict, ResultStatus, Verdict};
use crate::domain::aggregate::Contribution;
use crate::model::{ScorerResult, ToolCall, TraceStep};
use crate::server::store::input::{check_case_id, check_non_negative_f, check_non_negative_i, check_score, ResultInput};
use crate::server::store::json_text;
use crate::server::store::rows::RunRow;
use crate::server::store::{StoreError, StoreResult};

const PREVIEW_CHARS: usize = 240;

/// One validated result, ready to write (the case's name and input hash are filled in once the
/// case is found).
pub(super) struct Prepared {
    /// Assigned just before the insert.
    pub id: i64,
    pub run_id: i64,
    /// The run's event sequence number of this row (assigned once the batch is known good).
    pub seq: i64,
    pub created_at: i64,
    pub case_name: Option<String>,
    pub case_id: String,
    pub epoch: i64,
    pub status: ResultStatus,
    pub verdict: Option<Verdict>,
    /// The verdict is the source's own (given), not the threshold's.
    pub verdict_given: bool,
    pub headline_score: Option<f64>,
    pub score: Option<String>,
    pub output: Option<String>,
    pub preview: Option<String>,
    pub error: Option<String>,
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
    pub scorers: Vec<ScorerResult>,
    pub dimensions: BTreeMap<String, f64>,
    pub steps: Vec<TraceStep>,
    pub tool_calls: Vec<ToolCall>,
}

impl Prepared {
    pub fn contribution(&self) -> Contribution {
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
pub(super) fn prepare(i: usize, r: ResultInput, run: &RunRow, created_at: i64) -> StoreResult<Prepared> {
    let f = |name: &str| format!("results[{i}].{name}");
    check_case_id(&f("case_id"), &r.case_id)?;
    let epoch = r.epoch.unwrap_or(1);
    if epoch < 1 {
        return Err(StoreError::invalid(f("epoch"), "epochs count from 1"));
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
            return Err(StoreError::invalid(
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
            return Err(StoreError::invalid(
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
            return Err(StoreError::invalid(f(&format!("scorer_results[{j}].scorer_name")), "must not be empty"));
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
            return Err(StoreError::invalid(f("dimension_scores"), "a dimension name must not be empty"));
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
            return Err(StoreError::invalid(f(&format!("trace.tool_calls[{j}].tool_name")), "must not be empty"));
        }
        check_non_negative_i(&f(&format!("trace.tool_calls[{j}].duration_ms")), t.duration_ms)?;
        tool_calls.push(ToolCall::from(t));
    }
    let preview_text = r.workflow_output.as_ref().filter(|v| !v.is_null()).map(preview);
    // A verdict given by the source is kept, as long as it fits the status.
    let stored = match r.verdict {
        None => verdict(r.status, r.headline_score, run.pass_threshold),
        Some(_) if r.status == ResultStatus::Skipped => {
            return Err(StoreError::invalid(f("verdict"), "a skipped result has no verdict"));
        }
        Some(v) if !r.status.is_ok() && v != Verdict::Error => {
            return Err(StoreError::invalid(f("verdict"), format!("a {} result's verdict is error", r.status.as_str())));
        }
        given => given,
    };
    Ok(Prepared {
        id: 0,
        run_id: run.id,
        seq: 0,
        created_at,
        case_name: None,
        case_id: r.case_id,
        epoch,
        verdict: stored,
        verdict_given: r.verdict.is_some(),
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
