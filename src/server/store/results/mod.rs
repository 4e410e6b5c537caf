//! Results: ingesting batches (`ingest`, checked by `validate`), and reading one result whole or
//! every result of a run in the seed's `BenchResult` shape.

mod ingest;
mod validate;

use serde_json::Value;

use super::input::ResultInput;
use super::rows::{CallRow, ResultRow, ScorerRow, StepRow, CALL_COLS, RESULT_SELECT, SCORER_SELECT, STEP_SELECT};
use super::{Store, StoreError, StoreResult};
use crate::args;
use crate::model::{IngestCounts, ResultDetail, Trace};

/// The most results one batch may carry.
pub const MAX_BATCH: usize = 10_000;

impl Store {
    pub async fn ingest_results(&self, run_id: i64, results: Vec<ResultInput>) -> StoreResult<IngestCounts> {
        let mut tx = self.begin().await?;
        let counts = tx.ingest(run_id, results).await?;
        tx.commit().await?;
        Ok(counts)
    }

    /// One result, whole: scorer results, dimensions and the full trace.
    pub async fn get_result(&self, run_id: i64, case_id: &str, epoch: i64) -> StoreResult<ResultDetail> {
        let mut r = self.get_result_head(run_id, case_id, epoch).await?;
        r.trace = self.get_trace(r.id).await?;
        Ok(r)
    }

    /// One result with its scorer results and dimensions, without its trace (which can be
    /// thousands of steps: pages read it a page at a time).
    pub async fn get_result_head(&self, run_id: i64, case_id: &str, epoch: i64) -> StoreResult<ResultDetail> {
        let r = self
            .db
            .opt::<ResultRow>(
                &format!("{RESULT_SELECT} WHERE r.run_id = $1 AND r.case_id = $2 AND r.epoch = $3"),
                args![run_id, case_id, epoch],
            )
            .await?
            .ok_or_else(|| {
                StoreError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}"))
            })?;
        let scorers = self
            .db
            .all::<ScorerRow>(&format!("{SCORER_SELECT} WHERE result_id = $1 ORDER BY position"), args![r.id])
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let dimension_scores = self
            .db
            .all::<(String, f64)>(
                "SELECT dimension, score FROM result_dimensions WHERE result_id = $1 ORDER BY dimension",
                args![r.id],
            )
            .await?
            .into_iter()
            .collect();
        Ok(r.into_detail(scorers, dimension_scores, Trace::default()))
    }

    async fn get_trace(&self, result_id: i64) -> StoreResult<Trace> {
        let steps = self
            .db
            .all::<StepRow>(&format!("{STEP_SELECT} WHERE result_id = $1 ORDER BY position"), args![result_id])
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let tool_calls = self
            .db
            .all::<CallRow>(
                &format!("SELECT {CALL_COLS} FROM tool_calls c WHERE c.result_id = $1 ORDER BY c.position"),
                args![result_id],
            )
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(Trace { steps, tool_calls })
    }

    /// One run's results with everything the seed's `BenchResult` carries (outputs included),
    /// in id order after `after_id`: the pages `/bench-runs/{id}/results` streams.
    pub async fn seed_results_page(&self, run_id: i64, after_id: i64, limit: i64) -> StoreResult<Vec<Value>> {
        let rows = self
            .db
            .all::<ResultRow>(
                &format!("{RESULT_SELECT} WHERE r.run_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"),
                args![run_id, after_id, limit],
            )
            .await?;
        rows.into_iter().map(ResultRow::into_seed_json).collect()
    }
}
