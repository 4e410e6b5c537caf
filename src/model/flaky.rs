//! Flaky cases on the wire: `GET /api/benches/{bench}/flaky` and what the compare report says
//! about them.

use serde::{Deserialize, Serialize};

/// A case whose verdict changed where its workflow version, judge version and inputs did not.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlakyCase {
    pub case_id: String,
    /// The case name, else its id.
    pub case_label: String,
    /// Verdict changes from one observation to the next (runs oldest first, epochs in order)
    /// under the same conditions.
    pub flips: i64,
    /// Passes among the pass/fail verdicts counted.
    pub pass_rate: f64,
    pub passes: i64,
    pub fails: i64,
    /// Runs the counted verdicts came from.
    pub runs: i64,
    /// Some run's epochs disagree with each other.
    pub within_run: bool,
}

/// The flaky cases of a bench's recent completed runs, most flips first.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlakyReport {
    pub bench: String,
    /// Only runs on this channel; null: every channel.
    pub channel: Option<String>,
    /// How many recent completed runs were asked for (`?last=`).
    pub last: i64,
    /// The runs looked at, newest first.
    pub run_ids: Vec<i64>,
    pub cases: Vec<FlakyCase>,
}

/// What a comparison's flags owe to flaky cases: of its regressions and improvements, how many
/// are cases known to be flaky on the bench (its last 20 completed runs on any channel).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlakyInCompare {
    pub regressions: i64,
    pub regressions_flaky: i64,
    pub improvements: i64,
    pub improvements_flaky: i64,
    /// The flaky cases among the comparison's rows, by case id.
    pub flaky_case_ids: Vec<String>,
}
