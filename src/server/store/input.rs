//! What the store is asked to write — the write API's request bodies, which the API decodes and
//! the CLI, the demo and the importers build — and the checks every body shares. No HTTP here.

use serde::Deserialize;
use serde_json::Value;

use super::error::{StoreError, StoreResult};
use crate::domain::ResultStatus;
use crate::model::{ToolCall, TraceStep};

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct PublishVersion {
    pub source: String,
    pub language: Option<String>,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub config: Option<Value>,
    #[serde(default)]
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct MoveChannel {
    pub version: i64,
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PutBench {
    pub description: Option<String>,
    pub workflow: String,
    pub judge: String,
    pub judge_channel: Option<String>,
    pub score_max: Option<f64>,
    pub pass_threshold: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    pub id: String,
    pub name: Option<String>,
    pub inputs: Option<Value>,
    pub expected_output: Option<Value>,
    pub ground_truth: Option<Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Absent keeps a stored case's flag (new cases start unfrozen).
    pub frozen: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PutCases {
    pub cases: Vec<CaseInput>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    #[default]
    Full,
    Sampled,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Sampled => "sampled",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct TriggerRun {
    pub bench: String,
    pub channel: String,
    pub triggered_by: Option<String>,
    pub notes: Option<String>,
    pub case_ids: Option<Vec<String>>,
    #[serde(default)]
    pub mode: RunMode,
    pub sample_size: Option<i64>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub metadata: Option<Value>,
    pub idempotency_key: Option<String>,
    /// Pin a workflow version number instead of resolving the channel.
    pub workflow_version: Option<i64>,
    /// Pin a judge version number instead of resolving the bench's judge channel.
    pub judge_version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ScorerInput {
    pub scorer_name: String,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub dimension: Option<String>,
    pub details: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct TraceInput {
    #[serde(default)]
    pub steps: Vec<StepInput>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCallInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    pub index: Option<i64>,
    #[serde(rename = "type")]
    pub step_type: Option<String>,
    pub name: Option<String>,
    pub output: Option<TextOrJson>,
    pub tokens_used: Option<i64>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ToolCallInput {
    pub step_index: Option<i64>,
    pub tool_name: String,
    pub arguments: Option<TextOrJson>,
    pub result: Option<TextOrJson>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

/// A trace text that a harness may send as a string or as structured JSON; stored as text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TextOrJson {
    Text(String),
    Json(Value),
}

impl TextOrJson {
    pub fn into_text(self) -> String {
        match self {
            TextOrJson::Text(s) => s,
            TextOrJson::Json(v) => v.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResultInput {
    pub case_id: String,
    pub epoch: Option<i64>,
    pub status: ResultStatus,
    pub headline_score: Option<f64>,
    pub score: Option<Value>,
    #[serde(alias = "output")]
    pub workflow_output: Option<Value>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub tool_tokens: Option<i64>,
    pub tokens_used: Option<i64>,
    pub workflow_cost_usd: Option<f64>,
    pub judge_cost_usd: Option<f64>,
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub cache_hit: bool,
    pub input_hash: Option<String>,
    pub workflow_execution_id: Option<String>,
    pub judge_execution_id: Option<String>,
    #[serde(default)]
    pub scorer_results: Vec<ScorerInput>,
    #[serde(default)]
    pub dimension_scores: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub trace: Option<TraceInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResultsBody {
    pub results: Vec<ResultInput>,
}

/// Status a finish request moves a run to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    Complete,
    Fail,
    Cancel,
}

impl Finish {
    pub fn status(self) -> crate::domain::RunStatus {
        match self {
            Finish::Complete => crate::domain::RunStatus::Completed,
            Finish::Fail => crate::domain::RunStatus::Failed,
            Finish::Cancel => crate::domain::RunStatus::Canceled,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct FinishBody {
    pub error: Option<String>,
}

/// `POST /api/import`: a whole run in one bundle.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ImportBundle {
    pub bench: ImportBench,
    #[serde(default)]
    pub cases: Vec<CaseInput>,
    pub workflow: ImportScript,
    pub judge: ImportScript,
    pub run: ImportRun,
    #[serde(default)]
    pub results: Vec<ResultInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ImportBench {
    pub name: String,
    pub description: Option<String>,
    pub judge_channel: Option<String>,
    pub score_max: Option<f64>,
    pub pass_threshold: Option<f64>,
}

/// A script named by an import: an existing `version` number, or a `source` published (or found
/// by content hash) on the way in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ImportScript {
    pub name: String,
    pub version: Option<i64>,
    pub source: Option<String>,
    pub language: Option<String>,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub config: Option<Value>,
}

impl ImportScript {
    /// The version to publish, when the bundle carries a source.
    pub fn publish(&self) -> Option<PublishVersion> {
        self.source.as_ref().map(|source| PublishVersion {
            source: source.clone(),
            language: self.language.clone(),
            label: self.label.clone(),
            published_by: self.published_by.clone(),
            model: self.model.clone(),
            system_prompt: self.system_prompt.clone(),
            temperature: self.temperature,
            config: self.config.clone(),
            channels: Vec::new(),
        })
    }
}

#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct ImportRun {
    pub channel: Option<String>,
    pub status: Option<String>,
    pub triggered_by: Option<String>,
    pub triggered_at: Option<String>,
    pub completed_at: Option<String>,
    pub notes: Option<String>,
    pub case_ids: Option<Vec<String>>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub metadata: Option<Value>,
    pub error: Option<String>,
    pub idempotency_key: Option<String>,
}

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
        if !score_max.is_finite() || score_max <= 0.0 {
            return Err(StoreError::invalid("score_max", "must be a positive finite number"));
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

// ---- shared checks ----

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

pub fn check_non_negative_f(field: &str, v: Option<f64>) -> StoreResult<()> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => {
            Err(StoreError::invalid(field, "must be a non-negative finite number"))
        }
        _ => Ok(()),
    }
}

pub fn check_non_negative_i(field: &str, v: Option<i64>) -> StoreResult<()> {
    match v {
        Some(x) if x < 0 => Err(StoreError::invalid(field, "must not be negative")),
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
    }

    #[test]
    fn output_is_an_alias_of_workflow_output() {
        let r: ResultsBody = serde_json::from_str(r#"{"results": [{"case_id": "a", "status": "ok", "output": "hi"}]}"#).unwrap();
        assert_eq!(r.results[0].workflow_output, Some(Value::String("hi".into())));
    }
}
