//! Run comparison (SPEC §4 "Compare"), pure: no I/O, no clock. The store reads each run's result
//! rows into [`RunCases`] (epochs folded per case, [`cases`]) and these modules build the
//! pairwise [`CompareReport`](crate::model::CompareReport) ([`pairwise`]) and the
//! [`NWayReport`](crate::model::NWayReport) ([`nway`]) from them, walking the runs' cases with
//! one merge join ([`union`]), flagging each case ([`flags`]) and testing the change
//! ([`stats`]); [`warnings`] says why a comparison may mislead.
//!
//! Decisions where SPEC is silent:
//! - A case's score is the mean of its epochs' scores, counting ok/cached epochs with a score
//!   only (as the run's `mean_headline_score` does). Its cost is the sum of its epochs' costs,
//!   so per-case costs add up to the run's total.
//! - A case's verdict is pass/fail from that mean against the run's `pass_threshold`; without a
//!   scored epoch it is `error` when any epoch errored, else none (skipped). With one epoch this
//!   is exactly the stored verdict.
//! - A case's status is the most telling of its epochs': a failure, else ok, else cached, else
//!   skipped.
//! - `epsilon` defaults to `1e-9 ×` run a's `score_max` (the baseline's for N-way).
//! - The transition matrix counts the cases present in both runs (a missing case is a
//!   `missing_*` flag, not a verdict).
//! - The interval needs 2 pairs; with fewer it is null and not significant.

pub mod cases;
pub mod flags;
pub mod nway;
pub mod pairwise;
pub mod rows;
pub mod stats;
pub mod union;
pub mod warnings;

pub use cases::{CaseAgg, CaseRow, DimRow, RunCases};
pub use flags::{cost_flag, epsilon_for, score_flag, Counts};
pub use nway::compare_many;
pub use pairwise::{compare, run_dimension_deltas};
pub use stats::{bootstrap_seed, mcnemar_exact, mean_interval, Interval, Xoshiro256pp};
pub use warnings::warnings;

/// Above this many pairs the interval is a normal approximation instead of a bootstrap
/// (SPEC §4 allows it; a bootstrap of 50,000 pairs alone would eat the whole 150 ms budget).
pub const BOOTSTRAP_MAX_PAIRS: usize = 10_000;
/// Bootstrap resamples (SPEC §4).
pub const RESAMPLES: usize = 2_000;
/// Cost deltas within this are `cost_unchanged`.
pub const COST_EPSILON: f64 = 1e-9;
/// `cost_regression` when run b costs more than this share over run a.
pub const COST_REGRESSION_SHARE: f64 = 0.05;
/// The default score tolerance, as a share of the score scale.
pub const DEFAULT_EPSILON_SHARE: f64 = 1e-9;

/// A [`Run`](crate::model::Run) with every field at a neutral value, for the tests of the
/// modules here.
#[cfg(test)]
pub(crate) fn test_run(id: i64) -> crate::model::Run {
    crate::model::Run {
        id,
        bench_id: 1,
        bench_name: "b".into(),
        channel: "production".into(),
        workflow_script_name: "wf".into(),
        workflow_version_id: 1,
        workflow_version_number: 1,
        judge_script_name: "jd".into(),
        judge_version_id: 2,
        judge_version_number: 1,
        status: "completed".into(),
        mode: "full".into(),
        sample_size: None,
        case_filter: None,
        triggered_by: None,
        triggered_at: "2026-01-01T00:00:00.000Z".into(),
        completed_at: None,
        notes: None,
        mcp_session_id: None,
        model: None,
        system_prompt: None,
        temperature: None,
        error: None,
        metadata: serde_json::json!({}),
        idempotency_key: None,
        pass_threshold: 0.5,
        score_max: 1.0,
        total_cases: 0,
        results_count: 0,
        ok_cases: 0,
        mean_headline_score: None,
        status_breakdown: Default::default(),
        passed: 0,
        failed: 0,
        inconclusive: 0,
        missing: 0,
        pass_rate: None,
        cache_hit_cases: 0,
        total_cost_usd: 0.0,
        avg_latency_ms: None,
        total_tokens: 0,
        dimension_scores: Default::default(),
        last_result_at: None,
        verdicts_from_source: false,
    }
}

/// A result row of one epoch, for the tests.
#[cfg(test)]
pub(crate) fn test_row(
    case: &str,
    epoch: i64,
    status: super::ResultStatus,
    score: Option<f64>,
    cost: f64,
) -> CaseRow {
    CaseRow {
        case_id: case.into(),
        case_name: None,
        epoch,
        status,
        headline_score: score,
        cost_usd: cost,
    }
}

/// One run's cases from rows, without dimensions, pass threshold 0.5.
#[cfg(test)]
pub(crate) fn test_cases(rows: Vec<CaseRow>) -> RunCases {
    RunCases::from_rows(rows, Vec::new(), &[], 0.5)
}
