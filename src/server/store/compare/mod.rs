//! Run comparison: read each run's result rows (only the columns a comparison needs, dimensions
//! in one query per run) and hand them to the pure computation in `domain::compare`.

pub(crate) mod cache;
mod load;

use load::{load_postgres, load_sqlite};
use std::sync::Arc;

use super::{Store, StoreError, StoreResult};
use crate::domain::RunStatus;
use crate::args;
use crate::domain::compare::{self as cmp, RunCases};
use crate::model::{CaseDiff, CompareReport, Flag, NWayReport, Run};
use crate::server::sql::Db;
use crate::server::word_diff::word_diff;

/// Runs one N-way comparison takes (SPEC §4).
pub const MAX_NWAY_RUNS: usize = 8;

/// How a pairwise comparison is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompareOptions {
    /// `?epsilon=`: the score tolerance (default `1e-9 ×` run a's `score_max`).
    pub epsilon: Option<f64>,
    /// Read every case's dimension scores: per-row dimensions and paired dimension deltas
    /// (the `cases` basis) at three times the rows read; else dimension deltas come from the
    /// runs' aggregates (the `runs` basis).
    pub case_dimensions: bool,
}

/// A `?flag=` list (comma-separated flag names) of an N-way comparison.
pub fn parse_flags(list: &str) -> StoreResult<Vec<Flag>> {
    list.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            Flag::parse(f).ok_or_else(|| {
                let all: Vec<&str> = Flag::ALL.iter().map(|f| f.as_str()).collect();
                StoreError::invalid("flag", format!("unknown flag '{f}': use {}", all.join(", ")))
            })
        })
        .collect()
}

/// A `?epsilon=` must be a finite, non-negative number.
pub fn check_epsilon(epsilon: Option<f64>) -> StoreResult<Option<f64>> {
    match epsilon {
        Some(e) if !e.is_finite() || e < 0.0 => {
            Err(StoreError::invalid("epsilon", format!("must be a finite number ≥ 0, not {e}")))
        }
        other => Ok(other),
    }
}

/// Completed runs of a bench a comparison's flaky marks look at.
pub const FLAKY_LAST: i64 = 20;

impl Store {
    /// One run and its results folded per case. 404 names the run.
    /// With `dimensions`, each case's dimension scores too (three times the rows to read).
    pub async fn run_cases(&self, run_id: i64, dimensions: bool) -> StoreResult<(Run, RunCases)> {
        let run = self.get_run(run_id).await?;
        let loaded = match &self.db {
            Db::Sqlite { read, .. } => load_sqlite(read, run_id, dimensions).await?,
            Db::Postgres(pool) => load_postgres(pool, run_id, dimensions).await?,
        };
        let cases = RunCases::from_rows(loaded.rows, loaded.names, &loaded.dims, run.pass_threshold);
        Ok((run, cases))
    }

    /// [`Store::run_cases`] of several runs, each on its own task so they load and fold on all
    /// cores at once; in the order of `ids`.
    pub async fn run_cases_parallel(&self, ids: &[i64], dimensions: bool) -> StoreResult<Vec<(Run, RunCases)>> {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let store = self.clone();
                tokio::spawn(async move { store.run_cases(id, dimensions).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.map_err(StoreError::internal)??);
        }
        Ok(out)
    }

    /// Run b against the baseline run a (SPEC §4): per-case flags, aggregates, transitions,
    /// dimension deltas, significance and warnings.
    pub async fn compare(&self, a: i64, b: i64, epsilon: Option<f64>) -> StoreResult<CompareReport> {
        self.compare_with(a, b, CompareOptions { epsilon, case_dimensions: false }).await
    }

    /// [`Store::compare`] with options.
    pub async fn compare_with(&self, a: i64, b: i64, opts: CompareOptions) -> StoreResult<CompareReport> {
        let epsilon = check_epsilon(opts.epsilon)?;
        let mut loaded = self.run_cases_parallel(&[a, b], opts.case_dimensions).await?.into_iter();
        let ((run_a, cases_a), (run_b, cases_b)) = (loaded.next().expect("run a"), loaded.next().expect("run b"));
        let eps = cmp::epsilon_for(run_a.score_max, epsilon);
        let mut report = cmp::compare(run_a, cases_a, run_b, cases_b, eps);
        if !opts.case_dimensions {
            let sums = self
                .db
                .all::<(i64, String, f64, i64)>(
                    "SELECT run_id, dimension, score_sum, n FROM run_dimensions WHERE run_id = $1 OR run_id = $2 \
                     ORDER BY dimension",
                    args![a, b],
                )
                .await?;
            let of = |run: i64| -> Vec<(String, f64, i64)> {
                sums.iter().filter(|r| r.0 == run).map(|r| (r.1.clone(), r.2, r.3)).collect()
            };
            let deltas = cmp::run_dimension_deltas(&of(a), &of(b));
            report.dimensions = deltas.iter().map(|d| d.dimension.clone()).collect();
            report.aggregate.dimension_deltas = deltas;
            report.aggregate.dimension_basis = "runs".to_string();
        }
        Ok(report)
    }

    /// [`Store::compare_with`], shared: the report of two finished runs is computed once and kept
    /// (concurrent identical requests share the one computation); a pair with a running run is
    /// computed afresh each time.
    pub async fn compare_shared(&self, a: i64, b: i64, opts: CompareOptions) -> StoreResult<Arc<CompareReport>> {
        let epsilon = check_epsilon(opts.epsilon)?;
        let (run_a, run_b) = tokio::try_join!(self.get_run(a), self.get_run(b))?;
        let finished = |r: &Run| RunStatus::parse(&r.status).is_some_and(RunStatus::is_finished);
        if !(finished(&run_a) && finished(&run_b)) {
            return Ok(Arc::new(self.compare_with(a, b, opts).await?));
        }
        let key = (a, b, epsilon.map_or(u64::MAX, f64::to_bits), opts.case_dimensions);
        let cell = self.reports.cell(key);
        let report = cell.get_or_try_init(|| async { self.compare_with(a, b, opts).await.map(Arc::new) }).await?;
        Ok(report.clone())
    }

    /// A comparison as a reader sees it: the shared report, with which of its regressions and
    /// improvements are known-flaky cases (looked up afresh: new runs change that) and, when
    /// asked, the cases a mean delta of `target_delta` needs.
    pub async fn compare_view(&self, a: i64, b: i64, opts: CompareOptions, target_delta: Option<f64>) -> StoreResult<CompareReport> {
        let shared = self.compare_shared(a, b, opts).await?;
        let flaky = self.flaky_cases(&shared.run_b.bench_name, None, FLAKY_LAST).await?;
        let known: std::collections::HashSet<&str> = flaky.cases.iter().map(|c| c.case_id.as_str()).collect();
        let mut report = (*shared).clone();
        report.flaky = Some(crate::domain::flaky::in_compare(&report.per_case, |c| known.contains(c)));
        report.aggregate.significance.with_target(target_delta);
        Ok(report)
    }

    /// Up to 8 runs, the first the baseline (SPEC §4 "N-way"). `flags` keeps the rows where any
    /// column has one of these flags (empty: every row).
    pub async fn compare_many(&self, ids: &[i64], epsilon: Option<f64>, flags: &[Flag]) -> StoreResult<NWayReport> {
        if ids.len() < 2 || ids.len() > MAX_NWAY_RUNS {
            return Err(StoreError::invalid(
                "runs",
                format!("name 2 to {MAX_NWAY_RUNS} runs, the baseline first; got {}", ids.len()),
            ));
        }
        if let Some(dup) = ids.iter().enumerate().find(|(i, id)| ids[..*i].contains(id)) {
            return Err(StoreError::invalid("runs", format!("run {} is named twice", dup.1)));
        }
        let epsilon = check_epsilon(epsilon)?;
        let runs = self.run_cases_parallel(ids, false).await?;
        let eps = cmp::epsilon_for(runs[0].0.score_max, epsilon);
        Ok(cmp::compare_many(runs, eps, flags))
    }

    /// One case's expected output and its outputs in runs a and b (lowest epoch), with word
    /// diffs (size-capped and time-limited). 404 when the runs are unknown or neither has the
    /// case.
    pub async fn compare_case_diff(&self, a: i64, b: i64, case_id: &str) -> StoreResult<CaseDiff> {
        let (run_a, run_b) = tokio::try_join!(self.get_run(a), self.get_run(b))?;
        let output = |run: i64| async move {
            self.db
                .opt::<(Option<String>,)>(
                    "SELECT o.workflow_output FROM results r LEFT JOIN result_outputs o ON o.result_id = r.id \
                     WHERE r.run_id = $1 AND r.case_id = $2 ORDER BY r.epoch LIMIT 1",
                    args![run, case_id],
                )
                .await
        };
        let (out_a, out_b) = tokio::try_join!(output(a), output(b))?;
        if out_a.is_none() && out_b.is_none() {
            return Err(StoreError::not_found(format!(
                "neither run {a} nor run {b} has a result for case '{case_id}'"
            )));
        }
        let mut expected = None;
        for bench in [run_a.bench_id, run_b.bench_id] {
            if let Some((Some(e),)) = self
                .db
                .opt::<(Option<String>,)>(
                    "SELECT expected_output FROM cases WHERE bench_id = $1 AND case_id = $2",
                    args![bench, case_id],
                )
                .await?
            {
                expected = Some(e);
                break;
            }
        }
        let expected = display_text(expected);
        let output_a = out_a.and_then(|r| display_text(r.0));
        let output_b = out_b.and_then(|r| display_text(r.0));
        let diff = |x: &Option<String>, y: &Option<String>| match (x, y) {
            (Some(x), Some(y)) => Some(word_diff(x, y)),
            _ => None,
        };
        Ok(CaseDiff {
            case_id: case_id.to_string(),
            expected_vs_a: diff(&expected, &output_a),
            expected_vs_b: diff(&expected, &output_b),
            a_vs_b: diff(&output_a, &output_b),
            expected,
            output_a,
            output_b,
        })
    }
}

/// Stored JSON text as people read it: a JSON string's content, any other JSON as compact JSON,
/// text that is not JSON as it is.
fn display_text(stored: Option<String>) -> Option<String> {
    let s = stored?;
    Some(match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) => return None,
        _ => s,
    })
}
