//! Types only the pages read (server functions), beside the API's wire types.

use serde::{Deserialize, Serialize};

/// A page of a result's trace: steps `[offset, offset + limit)` with their tool calls.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct TracePage {
    pub offset: i64,
    pub limit: i64,
    pub total_steps: i64,
    pub total_tool_calls: i64,
    pub steps: Vec<TraceStepView>,
    /// Tool calls that name no step of the trace (on the last page).
    pub unattached_calls: Vec<ToolCallView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceStepView {
    /// Position in the trace (0-based), the key for "show all".
    pub position: i64,
    pub index: i64,
    pub step_type: Option<String>,
    pub name: Option<String>,
    pub output: Option<String>,
    /// The output was cut; "show all" fetches it whole.
    pub output_cut: bool,
    pub tokens_used: Option<i64>,
    pub duration_ms: Option<i64>,
    pub tool_calls: Vec<ToolCallView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToolCallView {
    pub position: i64,
    pub step_index: Option<i64>,
    pub tool_name: String,
    pub arguments: Option<String>,
    pub arguments_cut: bool,
    pub result: Option<String>,
    pub result_cut: bool,
    pub error: Option<String>,
    pub error_cut: bool,
    pub duration_ms: Option<i64>,
}

/// A case's result in one run of its bench (epochs averaged).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseHistoryPoint {
    pub run_id: i64,
    pub channel: String,
    pub triggered_at: String,
    pub run_status: String,
    pub score: Option<f64>,
    pub epochs: i64,
    pub status: Option<String>,
    pub verdict: Option<String>,
}

/// A completed run as a point of a bench's trend.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrendPoint {
    pub run_id: i64,
    pub channel: String,
    pub triggered_at_ms: i64,
    pub sampled: bool,
    pub workflow_version: i64,
    pub judge_version: i64,
    pub mean_score: Option<f64>,
    pub pass_rate: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseRow {
    pub id: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub frozen: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct CaseListPage {
    pub cases: Vec<CaseRow>,
    /// The last case id of this page when there are more.
    pub next_after: Option<String>,
    /// Every tag of the bench with its case count.
    pub tags: Vec<(String, i64)>,
}

/// Bins of a run's score histogram (over `[0, score_max]`).
pub const HISTOGRAM_BINS: i64 = 20;
