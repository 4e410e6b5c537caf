//! Wire types shared by the server, the JSON API and the browser. Field names follow the
//! akribes-sdk bench types (`BenchRun`, `BenchResult`, …) wherever they name the same thing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod app_error;
pub mod compare;
pub mod compare_query;
pub mod diff;
pub mod flaky;
pub mod live;
pub mod query;
pub mod search;
pub mod significance;
pub mod views;

pub use compare::{
    CaseDiff, CompareAggregate, CostFlag, Flag, CompareCase, CompareReport, CompareWarning, DiffOp, DiffSegment, DimensionDelta, DimensionPair,
    NWayCell, NWayReport, NWayRow, NWayRunSummary, NWayWarning, Significance, VerdictTransitions, WordDiff,
};

/// A script version as the API answers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScriptVersion {
    pub id: i64,
    pub script_id: i64,
    pub kind: String,
    pub script_name: String,
    pub number: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    pub language: Option<String>,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub content_hash: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub config: Option<Value>,
    pub created_at: String,
    /// Channels that point at this version now.
    #[serde(default)]
    pub channels: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Channel {
    pub id: i64,
    pub script_id: i64,
    pub kind: String,
    pub script_name: String,
    pub name: String,
    pub version_id: i64,
    pub version_number: i64,
    pub updated_at: String,
    #[serde(default)]
    pub history: Vec<ChannelMove>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelMove {
    pub version_id: i64,
    pub version_number: i64,
    pub published_by: Option<String>,
    pub published_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Bench {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub workflow: String,
    pub judge: String,
    pub judge_channel: String,
    pub score_max: f64,
    pub pass_threshold: f64,
    pub case_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: String,
    pub name: Option<String>,
    pub inputs: Option<Value>,
    pub expected_output: Option<Value>,
    pub ground_truth: Option<Value>,
    pub tags: Vec<String>,
    pub input_hash: String,
    pub frozen: bool,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpsertCounts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IngestCounts {
    pub inserted: i64,
    pub replaced: i64,
}

/// One run with its aggregates: the seed's `BenchRun` plus Sentinel's `Run` fields.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Run {
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
    pub case_filter: Option<Vec<String>>,
    pub triggered_by: Option<String>,
    pub triggered_at: String,
    pub completed_at: Option<String>,
    pub notes: Option<String>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub error: Option<String>,
    pub metadata: Value,
    pub idempotency_key: Option<String>,
    pub pass_threshold: f64,
    pub score_max: f64,
    /// Some results' verdicts are the source's own pass/fail (an imported run), not the threshold's.
    #[serde(default)]
    pub verdicts_from_source: bool,
    // aggregates
    pub total_cases: i64,
    pub results_count: i64,
    pub ok_cases: i64,
    pub mean_headline_score: Option<f64>,
    pub status_breakdown: BTreeMap<String, i64>,
    pub passed: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub missing: i64,
    pub pass_rate: Option<f64>,
    pub cache_hit_cases: i64,
    pub total_cost_usd: f64,
    pub avg_latency_ms: Option<f64>,
    pub total_tokens: i64,
    pub dimension_scores: BTreeMap<String, f64>,
    pub last_result_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScorerResult {
    pub scorer_name: String,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<String>,
    pub dimension: Option<String>,
    pub details: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    pub tool_calls: Vec<ToolCall>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TraceStep {
    pub index: i64,
    #[serde(rename = "type")]
    pub step_type: Option<String>,
    pub name: Option<String>,
    pub output: Option<String>,
    pub tokens_used: Option<i64>,
    pub duration_ms: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolCall {
    pub step_index: Option<i64>,
    pub tool_name: String,
    pub arguments: Option<String>,
    pub result: Option<String>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

/// One result, whole: the seed's `BenchResult` plus scorer results, dimensions and trace.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResultDetail {
    pub id: i64,
    pub bench_run_id: i64,
    pub case_id: String,
    pub case_name: Option<String>,
    pub epoch: i64,
    pub status: String,
    pub verdict: Option<String>,
    pub headline_score: Option<f64>,
    pub score: Option<Value>,
    pub workflow_output: Option<Value>,
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
    pub created_at: String,
    pub scorer_results: Vec<ScorerResult>,
    pub dimension_scores: BTreeMap<String, f64>,
    pub trace: Trace,
}

/// `{"error": {...}}` as every 4xx/5xx answers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    /// On 5xx answers: the request's `x-request-id`, which its log lines carry.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_id: Option<String>,
}


/// One row of a run's results list: no trace, a short output preview.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResultSummary {
    pub id: i64,
    pub bench_run_id: i64,
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
    pub created_at: String,
    /// With a search (`q`): the matching text of the field that matched, its matches marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<search::Snippet>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunPage {
    pub runs: Vec<Run>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResultPage {
    pub results: Vec<ResultSummary>,
    pub next_cursor: Option<String>,
}

/// Sentinel's `ResultStats` names.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunStats {
    pub run_id: i64,
    pub total_cases: i64,
    pub passed: i64,
    pub failed: i64,
    pub errored: i64,
    pub skipped: i64,
    pub missing: i64,
    pub pass_rate: Option<f64>,
    pub avg_score: Option<f64>,
    pub avg_latency_ms: Option<f64>,
    pub p50_latency_ms: Option<i64>,
    pub p95_latency_ms: Option<i64>,
    pub total_tokens: i64,
    pub total_cost: f64,
    pub dimension_scores: BTreeMap<String, f64>,
    pub status_breakdown: BTreeMap<String, i64>,
}

/// The latest run of a bench on one channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelLatest {
    pub channel: String,
    pub run_id: i64,
    pub status: String,
    pub mean_headline_score: Option<f64>,
    pub pass_rate: Option<f64>,
    pub total_cost_usd: f64,
    pub triggered_at: String,
    pub workflow_version_number: i64,
    pub judge_version_number: i64,
}

/// A bench with its latest run per channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BenchOverview {
    #[serde(flatten)]
    pub bench: Bench,
    pub run_count: i64,
    pub latest: Vec<ChannelLatest>,
}

// ---- the page of a script version (`/scripts/{kind}/{name}/v/{number}`) ----

/// How many of each channel's latest moves the page of a version shows.
pub const CHANNEL_MOVES_SHOWN: i64 = 10;
/// How many of the newest runs of a version its page lists.
pub const VERSION_RUNS_SHOWN: i64 = 50;

/// One version in a script's version list: what a picker shows, no source.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VersionEntry {
    pub number: i64,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub created_at: String,
    /// Channels that point at this version now.
    pub channels: Vec<String>,
}

/// A run that used a script version, as that version's page lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VersionRun {
    pub id: i64,
    pub bench_name: String,
    pub channel: String,
    pub status: String,
    pub mode: String,
    pub mean_headline_score: Option<f64>,
    pub pass_rate: Option<f64>,
    pub score_max: f64,
    pub triggered_by: Option<String>,
    pub triggered_at: String,
    pub workflow_script_name: String,
    pub workflow_version_number: i64,
    pub judge_script_name: String,
    pub judge_version_number: i64,
}

/// Everything the page of a script version shows except a diff.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScriptVersionPage {
    /// The version, with its source.
    pub version: ScriptVersion,
    /// Every version of the script, newest first.
    pub versions: Vec<VersionEntry>,
    /// Every channel of the script with the version it points at and its latest moves.
    pub channels: Vec<Channel>,
    /// The newest runs that used this version.
    pub runs: Vec<VersionRun>,
    /// How many runs used this version in all.
    pub runs_total: i64,
}
