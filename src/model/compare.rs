//! Wire types of run comparison (SPEC §3b, §4 "Compare"): the pairwise `CompareReport` with the
//! seed's field names (`akribes-sdk`'s `CompareReport`, `CompareAggregate`, `CompareCase`) plus
//! what Assay adds, the N-way report, and the word diff of the compare page. They compile for
//! the browser too, so the page decodes exactly what the API serves.

use serde::{Deserialize, Serialize};

use super::Run;
use crate::domain::{ResultStatus, Verdict};

pub use super::diff::{CaseDiff, DiffOp, DiffSegment, WordDiff};
pub use super::significance::Significance;

/// A case's score flag, in the seed's spellings.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Improved,
    Regressed,
    Unchanged,
    /// Only in run b (run a has no result for the case).
    MissingA,
    /// Only in run a (run b has no result for the case).
    MissingB,
}

impl Flag {
    /// Every flag, in the order the page lists them.
    pub const ALL: [Flag; 5] = [
        Flag::Improved,
        Flag::Regressed,
        Flag::Unchanged,
        Flag::MissingA,
        Flag::MissingB,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Improved => "improved",
            Flag::Regressed => "regressed",
            Flag::Unchanged => "unchanged",
            Flag::MissingA => "missing_a",
            Flag::MissingB => "missing_b",
        }
    }

    pub fn parse(s: &str) -> Option<Flag> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A case's cost flag, in the seed's spellings.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CostFlag {
    CostRegressed,
    CostImproved,
    CostUnchanged,
}

impl CostFlag {
    /// Every cost flag, in the order the page lists them.
    pub const ALL: [CostFlag; 3] = [CostFlag::CostRegressed, CostFlag::CostImproved, CostFlag::CostUnchanged];

    pub fn parse(s: &str) -> Option<CostFlag> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CostFlag::CostRegressed => "cost_regressed",
            CostFlag::CostImproved => "cost_improved",
            CostFlag::CostUnchanged => "cost_unchanged",
        }
    }
}

/// What a case row can be filtered by: its score flag or its cost flag.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum CaseFlag {
    Score(Flag),
    Cost(CostFlag),
}

impl CaseFlag {
    /// Every flag a pairwise comparison counts, in the order the page lists them: regressions
    /// first.
    pub const ALL: [CaseFlag; 8] = [
        CaseFlag::Score(Flag::Regressed),
        CaseFlag::Score(Flag::Improved),
        CaseFlag::Score(Flag::Unchanged),
        CaseFlag::Score(Flag::MissingA),
        CaseFlag::Score(Flag::MissingB),
        CaseFlag::Cost(CostFlag::CostRegressed),
        CaseFlag::Cost(CostFlag::CostImproved),
        CaseFlag::Cost(CostFlag::CostUnchanged),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseFlag::Score(f) => f.as_str(),
            CaseFlag::Cost(f) => f.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<CaseFlag> {
        Flag::parse(s).map(CaseFlag::Score).or_else(|| CostFlag::parse(s).map(CaseFlag::Cost))
    }

    /// The case carries this flag.
    pub fn matches(self, c: &CompareCase) -> bool {
        match self {
            CaseFlag::Score(f) => c.flag == f,
            CaseFlag::Cost(f) => c.cost_flag == f,
        }
    }
}

/// The verdict labels of the transition matrix, in row/column order ("none": no verdict,
/// i.e. skipped).
pub const VERDICTS: [&str; 4] = ["pass", "fail", "error", "none"];

/// `GET /api/runs/{a}/compare/{b}` and the seed's `GET /bench-runs/{a}/compare/{b}`: run b
/// against the baseline run a, over the union of their cases.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompareReport {
    pub run_a_id: i64,
    pub run_b_id: i64,
    /// The score tolerance the flags used: `?epsilon=`, else `1e-9 × run a's score_max`.
    pub epsilon: f64,
    pub aggregate: CompareAggregate,
    /// One row per case of the union, ordered by case id (byte order).
    pub per_case: Vec<CompareCase>,
    /// Dimension names, in the order of every row's `dimensions` and of
    /// `aggregate.dimension_deltas`.
    pub dimensions: Vec<String>,
    /// Why the comparison may mislead (different benches, selections, judge versions, scales).
    pub warnings: Vec<CompareWarning>,
    /// The two runs as `GET /api/runs/{id}` answers them (bench, channel, versions, status …).
    pub run_a: Run,
    pub run_b: Run,
    /// How many of the regressions and improvements are cases known to be flaky on run b's
    /// bench (its last 20 completed runs); null where not looked up.
    #[serde(default)]
    pub flaky: Option<crate::model::flaky::FlakyInCompare>,
}

/// The seed's `CompareAggregate` plus Assay's additions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompareAggregate {
    /// Mean of `delta` over the cases scored in both runs; 0 when there is none.
    pub mean_score_delta: f64,
    /// Means over the same cases (scored in both), so `mean_score_b − mean_score_a` is
    /// `mean_score_delta`; null when no case is scored in both. Each run's own mean is
    /// `run_a.mean_headline_score` / `run_b.mean_headline_score`.
    pub mean_score_a: Option<f64>,
    pub mean_score_b: Option<f64>,
    /// Σ cost b − Σ cost a, in USD.
    pub cost_delta_usd: f64,
    pub cost_a_usd: f64,
    pub cost_b_usd: f64,
    /// `cost_delta_usd` / cases in the union (0 for an empty union).
    pub mean_cost_delta: f64,
    /// `cost_delta_usd` as a percentage of run a's cost; null when run a spent nothing.
    pub cost_delta_pct: Option<f64>,
    /// Run b costs over 5% more than run a (or anything at all when run a spent nothing).
    pub cost_regression: bool,
    pub n_improved: i64,
    pub n_regressed: i64,
    pub n_unchanged: i64,
    pub n_missing_a: i64,
    pub n_missing_b: i64,
    pub n_cost_regressed: i64,
    pub n_cost_improved: i64,
    pub n_cost_unchanged: i64,
    /// Cases in the union.
    pub n_cases: i64,
    /// The runs' pass rates and mean latencies, as their aggregates state them.
    pub pass_rate_a: Option<f64>,
    pub pass_rate_b: Option<f64>,
    pub mean_latency_ms_a: Option<f64>,
    pub mean_latency_ms_b: Option<f64>,
    /// How `dimension_deltas` were computed: `runs` (default: each run's own mean of the
    /// dimension over its results, from its aggregates) or `cases` (with `?case_dimensions=true`:
    /// means over the cases that have the dimension in both runs, epochs averaged; the rows then
    /// carry their dimension scores).
    pub dimension_basis: String,
    pub dimension_deltas: Vec<DimensionDelta>,
    pub transitions: VerdictTransitions,
    pub significance: Significance,
}

impl CompareAggregate {
    /// Cases carrying `flag`.
    pub fn count(&self, flag: CaseFlag) -> i64 {
        match flag {
            CaseFlag::Score(Flag::Improved) => self.n_improved,
            CaseFlag::Score(Flag::Regressed) => self.n_regressed,
            CaseFlag::Score(Flag::Unchanged) => self.n_unchanged,
            CaseFlag::Score(Flag::MissingA) => self.n_missing_a,
            CaseFlag::Score(Flag::MissingB) => self.n_missing_b,
            CaseFlag::Cost(CostFlag::CostRegressed) => self.n_cost_regressed,
            CaseFlag::Cost(CostFlag::CostImproved) => self.n_cost_improved,
            CaseFlag::Cost(CostFlag::CostUnchanged) => self.n_cost_unchanged,
        }
    }

    /// `dimension_deltas` pair cases (the `cases` basis) rather than compare the runs' own
    /// means (`runs`).
    pub fn dimensions_paired(&self) -> bool {
        self.dimension_basis == "cases"
    }
}

/// One dimension's mean in each run (see `CompareAggregate::dimension_basis`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DimensionDelta {
    pub dimension: String,
    /// Null when there is nothing to average (then `delta` is 0).
    pub mean_a: Option<f64>,
    pub mean_b: Option<f64>,
    pub delta: f64,
    /// `cases` basis: cases with the dimension in both runs; `runs` basis: 0 (unpaired).
    pub n: i64,
    /// Cases (`cases` basis) or results (`runs` basis) with the dimension in run a / run b.
    pub n_a: i64,
    pub n_b: i64,
}

/// Case verdicts a → b over the cases present in both runs: `counts[i][j]` is the number of
/// cases with verdict `verdicts[i]` in run a and `verdicts[j]` in run b.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerdictTransitions {
    /// Always `["pass", "fail", "error", "none"]`.
    pub verdicts: Vec<String>,
    pub counts: Vec<Vec<i64>>,
}

impl VerdictTransitions {
    pub fn empty() -> Self {
        VerdictTransitions {
            verdicts: VERDICTS.iter().map(|s| s.to_string()).collect(),
            counts: vec![vec![0; 4]; 4],
        }
    }

    /// Index of a verdict (`None` is "none") in the matrix.
    pub fn index(verdict: Option<Verdict>) -> usize {
        match verdict {
            Some(Verdict::Pass) => 0,
            Some(Verdict::Fail) => 1,
            Some(Verdict::Error) => 2,
            None => 3,
        }
    }

    /// Cases whose verdict went from `a` to `b`.
    pub fn get(&self, a: Option<Verdict>, b: Option<Verdict>) -> i64 {
        self.counts[Self::index(a)][Self::index(b)]
    }
}

/// One case of the union.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompareCase {
    pub case_id: String,
    /// The case name, else its id.
    pub case_label: String,
    /// The case's score in each run: the mean of its scored epochs (ok/cached with a score).
    pub score_a: Option<f64>,
    pub score_b: Option<f64>,
    /// `score_b − score_a` when both are scored.
    pub delta: Option<f64>,
    /// `improved | regressed | unchanged | missing_a | missing_b`.
    pub flag: Flag,
    /// Status of the case in each run (its epochs' most telling status: a failure, else ok,
    /// else cached, else skipped); null when the run has no result for it.
    pub status_a: Option<ResultStatus>,
    pub status_b: Option<ResultStatus>,
    /// The case's verdict in each run (pass/fail from its score against the run's threshold,
    /// else error, else null for skipped); null also when the run has no result for it.
    pub verdict_a: Option<Verdict>,
    pub verdict_b: Option<Verdict>,
    /// Epochs (result rows) of the case in each run.
    pub epochs_a: i64,
    pub epochs_b: i64,
    /// The case's cost in each run (all its epochs; 0 when absent).
    pub cost_a: f64,
    pub cost_b: f64,
    pub cost_delta: f64,
    /// `cost_regressed | cost_improved | cost_unchanged` (|Δ| ≤ 1e-9 is unchanged).
    pub cost_flag: CostFlag,
    /// Dimension scores, aligned with the report's `dimensions` (empty when no run has any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<DimensionPair>,
}

/// A case's score on one dimension in each run (mean over its epochs that have it).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DimensionPair {
    pub a: Option<f64>,
    pub b: Option<f64>,
}

/// Something that makes a comparison less meaningful.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompareWarning {
    /// `different_bench | different_selection | different_judge_version | different_score_scale`.
    pub code: String,
    pub message: String,
}

/// `GET /api/compare?runs=…`: up to 8 runs, the first the baseline; every other column is
/// flagged against it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NWayReport {
    /// The run ids in column order; `run_ids[0]` is the baseline.
    pub run_ids: Vec<i64>,
    /// Tolerance of the flags: `?epsilon=`, else `1e-9 × the baseline's score_max`.
    pub epsilon: f64,
    /// The flags asked for with `?flag=` (a row is kept when any column has one of them);
    /// empty: every row.
    pub flag_filter: Vec<Flag>,
    /// One summary per run, in column order.
    pub runs: Vec<NWayRunSummary>,
    /// One row per case of the union (after the flag filter), ordered by case id.
    pub rows: Vec<NWayRow>,
    /// Warnings of each run against the baseline, tagged with the run.
    pub warnings: Vec<NWayWarning>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NWayRunSummary {
    pub run: Run,
    /// Mean of the case scores of this run (cases with a scored epoch); null when none.
    pub mean_score: Option<f64>,
    pub pass_rate: Option<f64>,
    /// Σ cost of the run's results.
    pub cost_usd: f64,
    /// Cases with a result in this run.
    pub n_cases: i64,
    /// Against the baseline (all zero, and `mean_score_delta` 0, for the baseline itself).
    pub mean_score_delta: f64,
    pub cost_delta_usd: f64,
    pub n_improved: i64,
    pub n_regressed: i64,
    pub n_unchanged: i64,
    pub n_missing_a: i64,
    pub n_missing_b: i64,
}

impl NWayRunSummary {
    /// Cases of this column carrying `flag` against the baseline.
    pub fn count(&self, flag: Flag) -> i64 {
        match flag {
            Flag::Improved => self.n_improved,
            Flag::Regressed => self.n_regressed,
            Flag::Unchanged => self.n_unchanged,
            Flag::MissingA => self.n_missing_a,
            Flag::MissingB => self.n_missing_b,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NWayRow {
    pub case_id: String,
    pub case_label: String,
    /// One cell per run, in column order.
    pub cells: Vec<NWayCell>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NWayCell {
    pub score: Option<f64>,
    /// Null when the run has no result for the case.
    pub status: Option<ResultStatus>,
    pub verdict: Option<Verdict>,
    pub cost: f64,
    /// `score − baseline score` when both are scored.
    pub delta: Option<f64>,
    /// The flag against the baseline; null in the baseline's own column.
    pub flag: Option<Flag>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NWayWarning {
    pub run_id: i64,
    pub code: String,
    pub message: String,
}
