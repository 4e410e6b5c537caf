//! Wire types of the compare page's word diffs: a case's expected output and its outputs in
//! both runs, with the diffs between them.

use serde::{Deserialize, Serialize};

/// An inline word diff for the compare page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WordDiff {
    /// Consecutive segments; `equal` + `delete` spell the old text, `equal` + `insert` the new.
    pub segments: Vec<DiffSegment>,
    /// A side was over the size cap: no diff was computed (`segments` is empty).
    pub too_large: bool,
    /// The time limit was reached: the diff is valid but may be coarser than the minimal one.
    pub timed_out: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiffSegment {
    pub op: DiffOp,
    pub text: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Insert,
    Delete,
}

/// One case's texts in a comparison with their word diffs, for the page's inline diff
/// (computed when a row is expanded). Outputs are the lowest epoch's; JSON outputs that are not
/// a string are shown as JSON text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseDiff {
    pub case_id: String,
    /// The case's expected output (from run a's bench, else run b's).
    pub expected: Option<String>,
    pub output_a: Option<String>,
    pub output_b: Option<String>,
    /// Word diffs; null when a side is missing.
    pub expected_vs_a: Option<WordDiff>,
    pub expected_vs_b: Option<WordDiff>,
    pub a_vs_b: Option<WordDiff>,
}
