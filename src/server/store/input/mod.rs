//! What the store is asked to write — the write API's request bodies, which the API decodes and
//! the CLI, the demo and the importers build — and the checks every body shares. No HTTP here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod checks;
pub mod json_schema;
pub mod whole;

pub use checks::*;

use crate::domain::{ResultStatus, Verdict};

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
    /// Channels to point at the version (bench and channel names: letters, digits, `-_.`).
    #[serde(default)]
    #[schema(schema_with = crate::server::store::input::json_schema::slug_list)]
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct MoveChannel {
    #[serde(deserialize_with = "crate::server::store::input::whole::one")]
    pub version: i64,
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PutBench {
    pub description: Option<String>,
    /// A workflow script that has a published version.
    pub workflow: String,
    /// A judge script that has a published version.
    pub judge: String,
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub judge_channel: Option<String>,
    /// Default 1.
    #[schema(exclusive_minimum = 0, maximum = 1e6)]
    pub score_max: Option<f64>,
    /// Default half of `score_max`; at most `score_max`.
    #[schema(minimum = 0, maximum = 1e6)]
    pub pass_threshold: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,256}$")]
    pub id: String,
    pub name: Option<String>,
    pub inputs: Option<Value>,
    pub expected_output: Option<Value>,
    pub ground_truth: Option<Value>,
    #[serde(default)]
    #[schema(schema_with = crate::server::store::input::json_schema::tag_list)]
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
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub channel: String,
    pub triggered_by: Option<String>,
    pub notes: Option<String>,
    #[schema(schema_with = crate::server::store::input::json_schema::case_id_list_or_null)]
    pub case_ids: Option<Vec<String>>,
    #[serde(default)]
    pub mode: RunMode,
    /// With `mode: sampled` only: how many of the selected cases to draw.
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 1)]
    pub sample_size: Option<i64>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    #[schema(schema_with = crate::server::store::input::json_schema::object_or_null)]
    pub metadata: Option<Value>,
    #[schema(min_length = 1, max_length = 256)]
    pub idempotency_key: Option<String>,
    /// Pin a workflow version number instead of resolving the channel.
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    pub workflow_version: Option<i64>,
    /// Pin a judge version number instead of resolving the bench's judge channel.
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    pub judge_version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScorerInput {
    #[schema(min_length = 1)]
    pub scorer_name: String,
    /// At least 0 and at most the bench's `score_max`.
    #[schema(minimum = 0)]
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub dimension: Option<String>,
    pub details: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct TraceInput {
    #[serde(default)]
    pub steps: Vec<StepInput>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCallInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    pub index: Option<i64>,
    #[serde(rename = "type")]
    pub step_type: Option<String>,
    pub name: Option<String>,
    pub output: Option<TextOrJson>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub tokens_used: Option<i64>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCallInput {
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    pub step_index: Option<i64>,
    #[schema(min_length = 1)]
    pub tool_name: String,
    pub arguments: Option<TextOrJson>,
    pub result: Option<TextOrJson>,
    pub error: Option<String>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub duration_ms: Option<i64>,
}

/// A trace text that a harness may send as a string or as structured JSON; stored as text.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResultInput {
    /// A case of the run's selection.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]{1,256}$")]
    pub case_id: String,
    /// Default 1.
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 1)]
    pub epoch: Option<i64>,
    pub status: ResultStatus,
    /// The source's own pass/fail (an import from a harness that decides it): stored as given
    /// instead of the verdict against the run's threshold.
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// At least 0 and at most the bench's `score_max`.
    #[schema(minimum = 0)]
    pub headline_score: Option<f64>,
    pub score: Option<Value>,
    #[serde(alias = "output")]
    pub workflow_output: Option<Value>,
    pub error: Option<String>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub duration_ms: Option<i64>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub input_tokens: Option<i64>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub output_tokens: Option<i64>,
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub tool_tokens: Option<i64>,
    /// Default input + output + tool tokens (and, when those are given, equal to their sum).
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub tokens_used: Option<i64>,
    #[schema(minimum = 0, maximum = 1e9)]
    pub workflow_cost_usd: Option<f64>,
    #[schema(minimum = 0, maximum = 1e9)]
    pub judge_cost_usd: Option<f64>,
    /// Default workflow + judge cost (and, when those are given, equal to their sum).
    #[schema(minimum = 0, maximum = 1e9)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub cache_hit: bool,
    pub input_hash: Option<String>,
    pub workflow_execution_id: Option<String>,
    pub judge_execution_id: Option<String>,
    #[serde(default)]
    pub scorer_results: Vec<ScorerInput>,
    #[serde(default)]
    #[schema(schema_with = crate::server::store::input::json_schema::dimension_scores)]
    pub dimension_scores: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub trace: Option<TraceInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResultsBody {
    #[schema(max_items = 10_000)]
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportBench {
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub name: String,
    pub description: Option<String>,
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub judge_channel: Option<String>,
    #[schema(exclusive_minimum = 0, maximum = 1e6)]
    pub score_max: Option<f64>,
    #[schema(minimum = 0, maximum = 1e6)]
    pub pass_threshold: Option<f64>,
}

/// A script named by an import: an existing `version` number, or a `source` published (or found
/// by content hash) on the way in.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportScript {
    #[schema(pattern = r"^[^/\u0000-\u001F\u007F-\u009F]{1,128}$")]
    pub name: String,
    /// An existing version number; or give `source`.
    #[serde(default, deserialize_with = "crate::server::store::input::whole::opt")]
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

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct ImportRun {
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub channel: Option<String>,
    /// `completed` (the default), `failed` or `canceled`.
    #[schema(pattern = r"^(completed|failed|canceled)$")]
    pub status: Option<String>,
    pub triggered_by: Option<String>,
    #[schema(format = DateTime, pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")]
    pub triggered_at: Option<String>,
    #[schema(format = DateTime, pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")]
    pub completed_at: Option<String>,
    pub notes: Option<String>,
    #[schema(schema_with = crate::server::store::input::json_schema::case_id_list_or_null)]
    pub case_ids: Option<Vec<String>>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    #[schema(schema_with = crate::server::store::input::json_schema::object_or_null)]
    pub metadata: Option<Value>,
    pub error: Option<String>,
    #[schema(min_length = 1, max_length = 256)]
    pub idempotency_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_an_alias_of_workflow_output() {
        let r: ResultsBody = serde_json::from_str(r#"{"results": [{"case_id": "a", "status": "ok", "output": "hi"}]}"#).unwrap();
        assert_eq!(r.results[0].workflow_output, Some(Value::String("hi".into())));
    }
}
