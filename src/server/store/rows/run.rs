//! Run rows: the stored run with its running sums, what a trigger resolves before writing one,
//! and what one result row contributes to the sums.

use serde_json::Value;

use super::script::{BenchRow, VersionRow};
use crate::domain::aggregate::{AggSums, Contribution};
use crate::domain::{ResultStatus, RunStatus, Verdict};
use crate::model::Run;
use crate::server::sql::{Col, Ty, Val};
use crate::server::store::input::RunMode;
use crate::server::store::text_json;
use crate::server::time::fmt_ms;

/// The run's running-sum columns, written once: the struct, its column list and its values come
/// from this one list, so adding an aggregate is one line here and one in `AggSums`.
macro_rules! run_sums {
    ($($col:ident: $ty:ty),* $(,)?) => {
        /// The stored running sums of a run (columns of `runs`).
        #[derive(sqlx::FromRow, Clone, Debug, Default, PartialEq)]
        pub(crate) struct SumsRow { $(pub $col: $ty),* }

        impl SumsRow {
            /// The columns, in the order of [`SumsRow::values`].
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($col)),*];

            pub fn values(&self) -> Vec<Val> {
                vec![$(Val::from(self.$col)),*]
            }
        }
    };
}

run_sums! {
    results_count: i64,
    cases_with_results: i64,
    n_ok: i64,
    n_cached: i64,
    n_workflow_failed: i64,
    n_judge_failed: i64,
    n_skipped: i64,
    passed: i64,
    failed: i64,
    inconclusive: i64,
    scored_count: i64,
    score_sum: f64,
    cache_hit_cases: i64,
    total_cost_usd: f64,
    latency_count: i64,
    latency_sum: i64,
    total_tokens: i64,
}

impl SumsRow {
    /// The sums with the per-dimension ones (stored apart, in `run_dimensions`).
    pub fn to_sums(&self, dims: Vec<(String, f64, i64)>) -> AggSums {
        AggSums {
            results_count: self.results_count,
            cases_with_results: self.cases_with_results,
            by_status: [self.n_ok, self.n_cached, self.n_workflow_failed, self.n_judge_failed, self.n_skipped],
            passed: self.passed,
            failed: self.failed,
            inconclusive: self.inconclusive,
            scored_count: self.scored_count,
            score_sum: self.score_sum,
            cache_hit_cases: self.cache_hit_cases,
            total_cost_usd: self.total_cost_usd,
            latency_count: self.latency_count,
            latency_sum: self.latency_sum,
            total_tokens: self.total_tokens,
            dimensions: dims.into_iter().map(|(d, s, n)| (d, (s, n))).collect(),
        }
    }

    pub fn from_sums(s: &AggSums) -> SumsRow {
        let [n_ok, n_cached, n_workflow_failed, n_judge_failed, n_skipped] = s.by_status;
        SumsRow {
            results_count: s.results_count,
            cases_with_results: s.cases_with_results,
            n_ok,
            n_cached,
            n_workflow_failed,
            n_judge_failed,
            n_skipped,
            passed: s.passed,
            failed: s.failed,
            inconclusive: s.inconclusive,
            scored_count: s.scored_count,
            score_sum: s.score_sum,
            cache_hit_cases: s.cache_hit_cases,
            total_cost_usd: s.total_cost_usd,
            latency_count: s.latency_count,
            latency_sum: s.latency_sum,
            total_tokens: s.total_tokens,
        }
    }
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub(crate) struct RunRow {
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
    pub case_filter: Option<String>,
    pub max_case_pk: i64,
    pub triggered_by: Option<String>,
    pub triggered_at: i64,
    pub completed_at: Option<i64>,
    pub notes: Option<String>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub error: Option<String>,
    pub metadata: String,
    pub idempotency_key: Option<String>,
    pub pass_threshold: f64,
    pub score_max: f64,
    pub verdicts_from_source: bool,
    pub total_cases: i64,
    #[sqlx(flatten)]
    pub sums: SumsRow,
    pub last_result_at: Option<i64>,
    /// The last event sequence number handed to a result of this run (see `results.seq`).
    pub event_seq: i64,
}

pub(crate) const RUN_SELECT: &str = "SELECT * FROM runs";

impl RunRow {
    /// The stored status; a value this server does not know is an error, never a guess.
    pub fn status(&self) -> Result<RunStatus, crate::server::store::StoreError> {
        RunStatus::parse(&self.status).ok_or_else(|| {
            crate::server::store::StoreError::internal(format!("run {} has unknown status '{}'", self.id, self.status))
        })
    }

    /// Whether the selection is an explicit list (in `run_cases`) rather than every case up to
    /// `max_case_pk`.
    pub fn has_explicit_selection(&self) -> bool {
        self.case_filter.is_some()
    }

    pub fn into_model(self, dims: Vec<(String, f64, i64)>) -> Run {
        let sums = self.sums.to_sums(dims);
        let d = sums.derive(self.total_cases);
        Run {
            id: self.id,
            bench_id: self.bench_id,
            bench_name: self.bench_name,
            channel: self.channel,
            workflow_script_name: self.workflow_script_name,
            workflow_version_id: self.workflow_version_id,
            workflow_version_number: self.workflow_version_number,
            judge_script_name: self.judge_script_name,
            judge_version_id: self.judge_version_id,
            judge_version_number: self.judge_version_number,
            status: self.status,
            mode: self.mode,
            sample_size: self.sample_size,
            case_filter: self.case_filter.and_then(|s| serde_json::from_str(&s).ok()),
            triggered_by: self.triggered_by,
            triggered_at: fmt_ms(self.triggered_at),
            completed_at: self.completed_at.map(fmt_ms),
            notes: self.notes,
            mcp_session_id: self.mcp_session_id,
            model: self.model,
            system_prompt: self.system_prompt,
            temperature: self.temperature,
            error: self.error,
            metadata: text_json(Some(self.metadata)).unwrap_or(Value::Null),
            idempotency_key: self.idempotency_key,
            pass_threshold: self.pass_threshold,
            score_max: self.score_max,
            verdicts_from_source: self.verdicts_from_source,
            total_cases: self.total_cases,
            results_count: sums.results_count,
            ok_cases: d.ok_cases,
            mean_headline_score: d.mean_headline_score,
            status_breakdown: d.status_breakdown,
            passed: sums.passed,
            failed: sums.failed,
            inconclusive: sums.inconclusive,
            missing: d.missing,
            pass_rate: d.pass_rate,
            cache_hit_cases: sums.cache_hit_cases,
            total_cost_usd: sums.total_cost_usd,
            avg_latency_ms: d.avg_latency_ms,
            total_tokens: sums.total_tokens,
            dimension_scores: d.dimension_scores,
            last_result_at: self.last_result_at.map(fmt_ms),
        }
    }
}

/// The stored columns a result row contributes to its run's aggregates.
#[derive(sqlx::FromRow)]
pub(crate) struct ContributionRow {
    pub status: String,
    pub verdict: Option<String>,
    pub headline_score: Option<f64>,
    pub cost_usd: f64,
    pub duration_ms: Option<i64>,
    pub tokens_used: i64,
    pub cache_hit: bool,
}

/// The columns of [`ContributionRow`], for SELECT lists.
pub(crate) const CONTRIBUTION_COLS: &str = "status, verdict, headline_score, cost_usd, duration_ms, tokens_used, cache_hit";

impl ContributionRow {
    pub fn contribution(&self, dimensions: Vec<(String, f64)>) -> Result<Contribution, crate::server::store::StoreError> {
        let status = ResultStatus::parse(&self.status).ok_or_else(|| {
            crate::server::store::StoreError::internal(format!("a result has unknown status '{}'", self.status))
        })?;
        Ok(Contribution {
            status,
            verdict: self.verdict.as_deref().and_then(Verdict::parse),
            headline_score: self.headline_score,
            cost_usd: self.cost_usd,
            duration_ms: self.duration_ms,
            tokens_used: self.tokens_used,
            cache_hit: self.cache_hit,
            dimensions,
        })
    }
}

/// `(run_id, dimension, score_sum, n)` rows of `run_dimensions`: a run's per-dimension sums.
pub(crate) const RUN_DIM_COLS: &[Col<(i64, String, f64, i64)>] = &[
    Col::new("run_id", Ty::I64, |r| r.0.into()),
    Col::new("dimension", Ty::Text, |r| (&r.1).into()),
    Col::new("score_sum", Ty::F64, |r| r.2.into()),
    Col::new("n", Ty::I64, |r| r.3.into()),
];

/// What is derived from a finished run, stored once when it finishes.
#[derive(sqlx::FromRow, Clone, Debug, PartialEq)]
pub(crate) struct FiguresRow {
    pub latency_n: i64,
    pub p50_latency_ms: Option<i64>,
    pub p95_latency_ms: Option<i64>,
    /// JSON array of `HISTOGRAM_BINS` counts.
    pub histogram: String,
}

pub(crate) const FIGURES_SELECT: &str =
    "SELECT latency_n, p50_latency_ms, p95_latency_ms, histogram FROM run_figures";

/// Nearest-rank percentile `p` of `sorted` (the value at rank ⌈p·n⌉), None when empty.
pub(crate) fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    let n = sorted.len();
    (n > 0).then(|| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
}

/// What a trigger resolved before the run row is written: the versions fix what the run means.
pub(crate) struct Resolved {
    pub bench: BenchRow,
    pub workflow: VersionRow,
    pub judge: VersionRow,
}

/// A run's fixed selection: `None` for "every case up to `max_case_pk`".
pub(crate) struct Selection {
    pub case_ids: Option<Vec<String>>,
    pub total: i64,
    pub max_case_pk: i64,
}

/// Every field of a new run row.
pub(crate) struct NewRun<'a> {
    pub resolved: &'a Resolved,
    pub channel: &'a str,
    pub status: RunStatus,
    pub mode: RunMode,
    pub sample_size: Option<i64>,
    pub selection: &'a Selection,
    pub triggered_by: Option<String>,
    pub triggered_at: i64,
    pub notes: Option<String>,
    pub mcp_session_id: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub metadata: Value,
    pub idempotency_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_round_trip_through_the_row() {
        let mut s = AggSums { results_count: 3, by_status: [1, 2, 3, 4, 5], score_sum: 1.5, total_tokens: 9, ..Default::default() };
        s.latency_sum = 77;
        let row = SumsRow::from_sums(&s);
        assert_eq!(row.to_sums(vec![]), s);
        assert_eq!(SumsRow::COLUMNS.len(), row.values().len());
        assert_eq!(SumsRow::COLUMNS[2], "n_ok");
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.95), Some(7));
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(percentile(&v, 0.5), Some(10));
        assert_eq!(percentile(&v, 0.95), Some(19));
        assert_eq!(percentile(&v, 1.0), Some(20));
        assert_eq!(percentile(&[1, 2, 3], 0.5), Some(2));
    }
}
