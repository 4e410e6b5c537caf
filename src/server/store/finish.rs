//! Finishing a run: complete, fail or cancel, with its aggregates recounted exactly from its
//! rows (so float add-and-subtract drift during ingestion never outlives the run).

use std::collections::BTreeMap;

use super::input::Finish;
use super::rows::{ContributionRow, SumsRow, CONTRIBUTION_COLS, RUN_DIM_COLS};
use super::{Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::domain::aggregate::AggSums;
use crate::model::Run;
use crate::server::sql::{lock_row, BatchInsert};
use crate::server::time::now_ms;

impl StoreTx {
    /// Fold every result row of a run into exact sums.
    pub(crate) async fn recompute_sums(&mut self, run_id: i64) -> StoreResult<AggSums> {
        let rows = self
            .all::<ContributionRow>(&format!("SELECT {CONTRIBUTION_COLS} FROM results WHERE run_id = $1"), args![run_id])
            .await?;
        let mut sums = AggSums::default();
        for r in rows {
            sums.add(&r.contribution(Vec::new())?);
        }
        let dims = self
            .all::<(String, f64)>(
                "SELECT d.dimension, d.score FROM result_dimensions d JOIN results r ON r.id = d.result_id \
                 WHERE r.run_id = $1",
                args![run_id],
            )
            .await?;
        let mut by_dim: BTreeMap<String, (f64, i64)> = BTreeMap::new();
        for (d, s) in dims {
            let e = by_dim.entry(d).or_insert((0.0, 0));
            e.0 += s;
            e.1 += 1;
        }
        sums.dimensions = by_dim;
        sums.cases_with_results =
            self.one::<(i64,)>("SELECT COUNT(DISTINCT case_id) FROM results WHERE run_id = $1", args![run_id]).await?.0;
        Ok(sums)
    }

    /// Store absolute sums on a run (replacing its dimension rows).
    pub(crate) async fn write_sums(&mut self, run_id: i64, s: &AggSums) -> StoreResult<()> {
        let set: Vec<String> = SumsRow::COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let mut values = SumsRow::from_sums(s).values();
        values.push(run_id.into());
        self.exec(&format!("UPDATE runs SET {} WHERE id = ${}", set.join(", "), values.len()), values).await?;
        self.exec("DELETE FROM run_dimensions WHERE run_id = $1", args![run_id]).await?;
        let rows: Vec<(i64, String, f64, i64)> = s
            .dimensions
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(d, (sum, n))| (run_id, d.clone(), *sum, *n))
            .collect();
        BatchInsert { table: "run_dimensions", cols: RUN_DIM_COLS, suffix: "" }.run(self, &rows).await?;
        Ok(())
    }

    pub(crate) async fn finish(&mut self, id: i64, how: Finish, error: Option<String>, at: i64) -> StoreResult<Run> {
        if !lock_row(self, "runs", id).await? {
            return Err(StoreError::not_found(format!("no run {id}")));
        }
        let row = self.run_row(id).await?;
        if row.status()?.is_finished() {
            return self.run_model(id).await;
        }
        let sums = self.recompute_sums(id).await?;
        self.write_sums(id, &sums).await?;
        self.exec(
            "UPDATE runs SET status = $1, completed_at = $2, error = COALESCE($3, error) WHERE id = $4",
            args![how.status().as_str(), at, error, id],
        )
        .await?;
        // A finished run is immutable: what is derived from it is computed once, now.
        let f = self.compute_figures(id, row.score_max).await?;
        self.exec(
            "INSERT INTO run_figures (run_id, latency_n, p50_latency_ms, p95_latency_ms, histogram, computed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, f.latency_n, f.p50_latency_ms, f.p95_latency_ms, f.histogram, now_ms()],
        )
        .await?;
        self.index_run_text(id).await?;
        self.run_model(id).await
    }
}

impl Store {
    pub async fn finish_run(&self, id: i64, how: Finish, error: Option<String>) -> StoreResult<Run> {
        let mut tx = self.begin().await?;
        let run = tx.finish(id, how, error, now_ms()).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// The exact sums recomputed from the rows, next to the stored ones (for tests and checks).
    pub async fn recomputed_run(&self, id: i64) -> StoreResult<Run> {
        let mut tx = self.begin_read().await?;
        let row = tx.run_row(id).await?;
        let sums = tx.recompute_sums(id).await?;
        drop(tx);
        let dims = sums.dimensions.iter().map(|(d, (s, n))| (d.clone(), *s, *n)).collect();
        let mut fixed = row.clone();
        fixed.sums = SumsRow::from_sums(&sums);
        Ok(fixed.into_model(dims))
    }
}
