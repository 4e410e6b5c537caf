//! Run comparison: read each run's result rows (only the columns a comparison needs, dimensions
//! in one query per run) and hand them to the pure computation in `domain::compare`.

use std::collections::HashMap;

use super::Store;
use crate::args;
use crate::domain::compare::{self as cmp, CaseRow, DimRow, RunCases};
use crate::domain::ResultStatus;
use crate::model::compare::FLAGS;
use crate::model::{CaseDiff, CompareReport, NWayReport, Run};
use crate::server::error::{ApiError, ApiResult};
use crate::server::word_diff::word_diff;

/// Runs one N-way comparison takes (SPEC §4).
pub const MAX_NWAY_RUNS: usize = 8;

/// A `?epsilon=` must be a finite, non-negative number.
pub fn check_epsilon(epsilon: Option<f64>) -> ApiResult<Option<f64>> {
    match epsilon {
        Some(e) if !e.is_finite() || e < 0.0 => Err(ApiError::invalid(
            "epsilon",
            format!("must be a finite number ≥ 0, not {e}"),
        )),
        other => Ok(other),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    case_id: String,
    case_name: Option<String>,
    epoch: i64,
    status: String,
    headline_score: Option<f64>,
    cost_usd: f64,
}

impl Store {
    /// One run and its results folded per case. 404 names the run.
    pub async fn run_cases(&self, run_id: i64) -> ApiResult<(Run, RunCases)> {
        let run = self.get_run(run_id).await?;
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .all::<Row>(
                "SELECT id, case_id, case_name, epoch, status, headline_score, cost_usd FROM results WHERE run_id = $1",
                args![run_id],
            )
            .await?;
        let dim_rows = tx
            .all::<(i64, String, f64)>(
                "SELECT d.result_id, d.dimension, d.score FROM result_dimensions d \
                 JOIN results r ON r.id = d.result_id WHERE r.run_id = $1",
                args![run_id],
            )
            .await?;
        drop(tx);
        let mut index_of: HashMap<i64, u32> = HashMap::with_capacity(rows.len());
        let mut case_rows = Vec::with_capacity(rows.len());
        for (i, r) in rows.into_iter().enumerate() {
            index_of.insert(r.id, i as u32);
            case_rows.push(CaseRow {
                case_id: r.case_id,
                case_name: r.case_name,
                epoch: r.epoch,
                status: ResultStatus::parse(&r.status).unwrap_or(ResultStatus::Skipped),
                headline_score: r.headline_score,
                cost_usd: r.cost_usd,
            });
        }
        let mut names: Vec<String> = Vec::new();
        let mut dims: Vec<DimRow> = Vec::with_capacity(dim_rows.len());
        for (result_id, name, score) in dim_rows {
            let Some(&row) = index_of.get(&result_id) else {
                continue;
            };
            let d = match names.iter().position(|n| *n == name) {
                Some(d) => d,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            dims.push((row, d as u32, score));
        }
        let cases = RunCases::from_rows(case_rows, names, &dims, run.pass_threshold);
        Ok((run, cases))
    }

    /// Run b against the baseline run a (SPEC §4): per-case flags, aggregates, transitions,
    /// dimension deltas, significance and warnings.
    pub async fn compare(&self, a: i64, b: i64, epsilon: Option<f64>) -> ApiResult<CompareReport> {
        let epsilon = check_epsilon(epsilon)?;
        let ((run_a, cases_a), (run_b, cases_b)) =
            tokio::try_join!(self.run_cases(a), self.run_cases(b))?;
        let eps = cmp::epsilon_for(run_a.score_max, epsilon);
        Ok(cmp::compare(run_a, &cases_a, run_b, &cases_b, eps))
    }

    /// Up to 8 runs, the first the baseline (SPEC §4 "N-way"). `flags` keeps the rows where any
    /// column has one of these flags (empty: every row).
    pub async fn compare_many(
        &self,
        ids: &[i64],
        epsilon: Option<f64>,
        flags: &[String],
    ) -> ApiResult<NWayReport> {
        if ids.len() < 2 || ids.len() > MAX_NWAY_RUNS {
            return Err(ApiError::invalid(
                "runs",
                format!(
                    "name 2 to {MAX_NWAY_RUNS} runs, the baseline first; got {}",
                    ids.len()
                ),
            ));
        }
        if let Some(dup) = ids
            .iter()
            .enumerate()
            .find(|(i, id)| ids[..*i].contains(id))
        {
            return Err(ApiError::invalid(
                "runs",
                format!("run {} is named twice", dup.1),
            ));
        }
        if let Some(bad) = flags.iter().find(|f| !FLAGS.contains(&f.as_str())) {
            return Err(ApiError::invalid(
                "flag",
                format!("unknown flag '{bad}': use {}", FLAGS.join(", ")),
            ));
        }
        let epsilon = check_epsilon(epsilon)?;
        let runs = futures::future::try_join_all(ids.iter().map(|&id| self.run_cases(id))).await?;
        let eps = cmp::epsilon_for(runs[0].0.score_max, epsilon);
        Ok(cmp::compare_many(runs, eps, flags))
    }

    /// One case's expected output and its outputs in runs a and b (lowest epoch), with word
    /// diffs (size-capped and time-limited). 404 when the runs are unknown or neither has the
    /// case.
    pub async fn compare_case_diff(&self, a: i64, b: i64, case_id: &str) -> ApiResult<CaseDiff> {
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
            return Err(ApiError::not_found(format!(
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
