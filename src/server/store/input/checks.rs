//! The checks every request body shares (names, slugs, case ids, scores, counts and costs),
//! a bench write's resolved settings, and the bodies' trace parts as the model's types.

use serde_json::Value;

use super::json_schema::{MAX_COST, MAX_COUNT, MAX_SCORE_MAX};
use super::{PutBench, StepInput, TextOrJson, ToolCallInput};
use crate::model::{ToolCall, TraceStep};
use crate::server::store::error::{StoreError, StoreResult};

/// The resolved settings of a bench write.
pub struct BenchSettings {
    pub description: Option<String>,
    pub workflow: String,
    pub judge: String,
    pub judge_channel: String,
    pub score_max: f64,
    pub pass_threshold: f64,
}

impl BenchSettings {
    /// Validate a PUT body; omitted optional fields take their defaults (PUT replaces).
    pub fn from_put(p: &PutBench) -> StoreResult<BenchSettings> {
        let score_max = p.score_max.unwrap_or(1.0);
        if !score_max.is_finite() || score_max <= 0.0 || score_max > MAX_SCORE_MAX {
            return Err(StoreError::invalid("score_max", format!("must lie in (0, {MAX_SCORE_MAX:e}]")));
        }
        let pass_threshold = p.pass_threshold.unwrap_or(0.5 * score_max);
        if !pass_threshold.is_finite() || pass_threshold < 0.0 || pass_threshold > score_max {
            return Err(StoreError::invalid("pass_threshold", format!("must lie in [0, {score_max}]")));
        }
        let judge_channel = p.judge_channel.clone().unwrap_or_else(|| "production".to_string());
        check_slug("judge_channel", &judge_channel)?;
        Ok(BenchSettings {
            description: p.description.clone(),
            workflow: p.workflow.clone(),
            judge: p.judge.clone(),
            judge_channel,
            score_max,
            pass_threshold,
        })
    }
}

/// A script kind in a path: `workflow` or `judge` (anything else names no script: 404).
pub fn check_kind(kind: &str) -> StoreResult<()> {
    match kind {
        "workflow" | "judge" => Ok(()),
        _ => Err(StoreError::not_found(format!("unknown script kind '{kind}': use 'workflow' or 'judge'")).field("kind")),
    }
}

/// A run's metadata: absent or null is `{}`; anything but an object is refused.
pub fn check_metadata(field: &str, m: &Option<Value>) -> StoreResult<Value> {
    match m {
        None | Some(Value::Null) => Ok(Value::Object(Default::default())),
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(_) => Err(StoreError::invalid(field, "metadata must be a JSON object")),
    }
}

/// A name used in a URL path segment: 1–128 characters, no `/`, no control characters.
pub fn check_name(field: &str, s: &str) -> StoreResult<()> {
    if s.is_empty() || s.chars().count() > 128 {
        return Err(StoreError::invalid(field, "must be 1–128 characters"));
    }
    if s.contains('/') || s.chars().any(char::is_control) {
        return Err(StoreError::invalid(field, "must not contain '/' or control characters"));
    }
    Ok(())
}

/// A slug (bench and channel names): letters, digits, `-`, `_`, `.`; 1–128 characters.
pub fn check_slug(field: &str, s: &str) -> StoreResult<()> {
    if s.is_empty() || s.len() > 128 {
        return Err(StoreError::invalid(field, "must be 1–128 characters"));
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(StoreError::invalid(field, "may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

pub fn check_case_id(field: &str, s: &str) -> StoreResult<()> {
    let n = s.chars().count();
    if n == 0 || n > 256 {
        return Err(StoreError::invalid(field, "a case id must be 1–256 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(StoreError::invalid(field, "a case id must not contain control characters"));
    }
    Ok(())
}

/// An idempotency key: 1–256 characters.
pub fn check_idempotency_key(field: &str, k: &Option<String>) -> StoreResult<()> {
    match k {
        Some(k) if k.is_empty() || k.chars().count() > 256 => Err(StoreError::invalid(field, "must be 1–256 characters")),
        _ => Ok(()),
    }
}

pub fn check_finite(field: &str, v: Option<f64>) -> StoreResult<()> {
    match v {
        Some(x) if !x.is_finite() => Err(StoreError::invalid(field, "must be a finite number")),
        _ => Ok(()),
    }
}

/// Scores lie in `[0, score_max]`.
pub fn check_score(field: &str, v: Option<f64>, score_max: f64) -> StoreResult<()> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 || x > score_max => Err(StoreError::invalid(
            field,
            format!("score {x} is outside [0, {score_max}]"),
        )),
        _ => Ok(()),
    }
}

/// Costs: `[0, MAX_COST]`, so a run's sums stay finite.
pub fn check_non_negative_f(field: &str, v: Option<f64>) -> StoreResult<()> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => {
            Err(StoreError::invalid(field, "must be a non-negative finite number"))
        }
        Some(x) if x > MAX_COST => Err(StoreError::invalid(field, format!("must be at most {MAX_COST:e}"))),
        _ => Ok(()),
    }
}

/// Durations and token counts: `[0, MAX_COUNT]`, so a run's sums stay inside 64 bits.
pub fn check_non_negative_i(field: &str, v: Option<i64>) -> StoreResult<()> {
    match v {
        Some(x) if x < 0 => Err(StoreError::invalid(field, "must not be negative")),
        Some(x) if x > MAX_COUNT => Err(StoreError::invalid(field, format!("must be at most {MAX_COUNT}"))),
        _ => Ok(()),
    }
}

impl From<StepInput> for TraceStep {
    fn from(s: StepInput) -> Self {
        TraceStep {
            index: s.index.unwrap_or(0),
            step_type: s.step_type,
            name: s.name,
            output: s.output.map(TextOrJson::into_text),
            tokens_used: s.tokens_used,
            duration_ms: s.duration_ms,
        }
    }
}

impl From<ToolCallInput> for ToolCall {
    fn from(t: ToolCallInput) -> Self {
        ToolCall {
            step_index: t.step_index,
            tool_name: t.tool_name,
            arguments: t.arguments.map(TextOrJson::into_text),
            result: t.result.map(TextOrJson::into_text),
            error: t.error,
            duration_ms: t.duration_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(check_score("s", Some(1.0), 1.0).is_ok());
        assert_eq!(check_score("s", Some(1.01), 1.0).unwrap_err().field_name(), Some("s"));
        assert!(check_score("s", Some(-0.0001), 1.0).is_err());
        assert!(check_score("s", Some(f64::NAN), 1.0).is_err());
        assert!(check_slug("b", "support-bot_v2.1").is_ok());
        assert!(check_slug("b", "has space").is_err());
        assert!(check_case_id("c", "a/b c é").is_ok());
        assert!(check_case_id("c", &"x".repeat(257)).is_err());
        assert!(check_non_negative_f("c", Some(-1.0)).is_err());
        assert!(check_non_negative_i("d", Some(-1)).is_err());
        assert!(check_non_negative_i("d", Some(MAX_COUNT)).is_ok());
        assert!(check_non_negative_i("d", Some(MAX_COUNT + 1)).is_err());
        assert!(check_non_negative_f("c", Some(MAX_COST * 2.0)).is_err());
        assert!(check_idempotency_key("k", &Some("é".repeat(256))).is_ok(), "characters, not bytes");
        assert!(check_idempotency_key("k", &Some(String::new())).is_err());
    }

}
