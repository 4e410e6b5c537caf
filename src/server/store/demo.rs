//! The demo workspace's one write that no API makes: spreading its runs, channel moves and
//! versions over the past six weeks, so the dashboard shows history.

use super::{Store, StoreResult};
use crate::args;
use crate::server::time::now_ms;

impl Store {
    /// Spread the runs over the last six weeks, oldest first, and date channel moves and versions
    /// to match.
    pub async fn backdate_demo(&self, run_ids: &[i64], benches: usize) -> StoreResult<()> {
        let now = now_ms();
        let span: i64 = 42 * 24 * 3600 * 1000;
        let start = now - span;
        let n = run_ids.len().max(1) as i64;
        let mut tx = self.begin().await?;
        // Interleave benches so each one's runs cover the whole span.
        let per_bench = (run_ids.len() / benches).max(1);
        for (k, id) in run_ids.iter().enumerate() {
            let slot = (k % per_bench) as i64 * benches as i64 + (k / per_bench) as i64;
            let at = start + slot * span / n + (k as i64 * 7_919) % 3_600_000;
            tx.exec(
                "UPDATE runs SET triggered_at = $1, \
                 completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE $2 END, \
                 last_result_at = CASE WHEN last_result_at IS NULL THEN NULL ELSE $2 END WHERE id = $3",
                args![at, at + 9 * 60_000 + (k as i64 * 37_000) % 1_200_000, *id],
            )
            .await?;
        }
        // The run still in progress started a few minutes ago.
        if let Some(last) = run_ids.last() {
            tx.exec(
                "UPDATE runs SET triggered_at = $1, last_result_at = $2 WHERE id = $3 AND status = 'running'",
                args![now - 4 * 60_000, now - 30_000, *last],
            )
            .await?;
        }
        let (hist_n,): (i64,) = tx.one("SELECT COUNT(*) FROM channel_history", vec![]).await?;
        tx.exec(
            "UPDATE channel_history SET published_at = $1 + id * $2",
            args![start - 3_600_000, span / (hist_n + 1)],
        )
        .await?;
        tx.exec("UPDATE script_versions SET created_at = $1 + number * $2", args![start - 7_200_000, span / 6]).await?;
        tx.commit().await?;
        Ok(())
    }
}
