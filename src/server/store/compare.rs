//! Run comparison: read each run's result rows (only the columns a comparison needs, dimensions
//! in one query per run) and hand them to the pure computation in `domain::compare`.

use std::collections::HashMap;

use super::Store;
use crate::args;
use crate::domain::compare::{self as cmp, CaseRow, DimRow, RunCases};
use crate::domain::ResultStatus;
use crate::model::compare::FLAGS;
use crate::model::{CompareReport, NWayReport, Run};
use crate::server::error::{ApiError, ApiResult};

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
}
