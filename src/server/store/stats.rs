//! Run stats (Sentinel's ResultStats) and bench overviews.

use std::collections::HashMap;

use super::rows::{percentile, BenchRow, FiguresRow, RunRow, BENCH_SELECT, FIGURES_SELECT};
use super::{Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::model::views::HISTOGRAM_BINS;
use crate::model::{BenchOverview, ChannelLatest, Run, RunStats};

impl StoreTx {
    /// Latency percentiles and the score histogram of a run, from its rows.
    pub(crate) async fn compute_figures(&mut self, run_id: i64, score_max: f64) -> StoreResult<FiguresRow> {
        let mut latencies: Vec<i64> = self
            .all::<(i64,)>("SELECT duration_ms FROM results WHERE run_id = $1 AND duration_ms IS NOT NULL", args![run_id])
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        latencies.sort_unstable();
        let histogram = self.histogram(run_id, score_max, HISTOGRAM_BINS).await?;
        Ok(FiguresRow {
            latency_n: latencies.len() as i64,
            p50_latency_ms: percentile(&latencies, 0.5),
            p95_latency_ms: percentile(&latencies, 0.95),
            histogram: serde_json::to_string(&histogram).map_err(StoreError::internal)?,
        })
    }

    /// A run with its figures: stored once it finished, else computed from its rows now.
    pub(crate) async fn run_with_figures(&mut self, run_id: i64) -> StoreResult<(Run, FiguresRow)> {
        let run = self.run_model(run_id).await?;
        let stored = self.opt::<FiguresRow>(&format!("{FIGURES_SELECT} WHERE run_id = $1"), args![run_id]).await?;
        let figures = match stored {
            Some(f) => f,
            None => self.compute_figures(run_id, run.score_max).await?,
        };
        Ok((run, figures))
    }
}

impl Store {
    /// Sentinel's ResultStats for a run: its stored aggregates plus latency percentiles (nearest
    /// rank). A finished run's are read as stored when it finished; no result row is scanned.
    pub async fn run_stats(&self, run_id: i64) -> StoreResult<RunStats> {
        let mut tx = self.begin_read().await?;
        let (run, f) = tx.run_with_figures(run_id).await?;
        tx.commit().await?;
        let skipped = run.status_breakdown.get("skipped").copied().unwrap_or(0);
        Ok(RunStats {
            run_id,
            total_cases: run.total_cases,
            passed: run.passed,
            failed: run.failed,
            errored: run.inconclusive,
            skipped,
            missing: run.missing,
            pass_rate: run.pass_rate,
            avg_score: run.mean_headline_score,
            avg_latency_ms: run.avg_latency_ms,
            p50_latency_ms: f.p50_latency_ms,
            p95_latency_ms: f.p95_latency_ms,
            total_tokens: run.total_tokens,
            total_cost: run.total_cost_usd,
            dimension_scores: run.dimension_scores,
            status_breakdown: run.status_breakdown,
        })
    }

    /// A run's score histogram in `HISTOGRAM_BINS` bins over `[0, score_max]`: stored for a
    /// finished run, counted now for a running one.
    pub async fn run_histogram(&self, run_id: i64) -> StoreResult<Vec<u64>> {
        let mut tx = self.begin_read().await?;
        let (_, f) = tx.run_with_figures(run_id).await?;
        tx.commit().await?;
        serde_json::from_str(&f.histogram).map_err(StoreError::internal)
    }

    /// Benches with their case count, run count and latest run on each channel, in four
    /// statements whatever the number of benches, channels and runs: the channels of a bench are
    /// walked one index seek each (a recursive skip scan of `runs_by_bench_channel`), and each
    /// channel's newest run is one more seek — no statement reads a bench's every run.
    pub async fn bench_overviews(&self, name: Option<&str>) -> StoreResult<Vec<BenchOverview>> {
        let (filter, a) = match name {
            Some(n) => ("WHERE b.name = $1", args![n]),
            None => ("", vec![]),
        };
        let benches =
            self.db.all::<BenchRow>(&format!("{BENCH_SELECT} {filter} ORDER BY b.name"), a.clone()).await?;
        let in_benches = format!("bench_id IN (SELECT b.id FROM benches b {filter})");
        let count = |table: &str| format!("SELECT bench_id, COUNT(*) FROM {table} WHERE {in_benches} GROUP BY bench_id");
        let cases: HashMap<i64, i64> = self.db.all::<(i64, i64)>(&count("cases"), a.clone()).await?.into_iter().collect();
        let runs: HashMap<i64, i64> = self.db.all::<(i64, i64)>(&count("runs"), a.clone()).await?.into_iter().collect();
        let latest_rows = self
            .db
            .all::<RunRow>(
                &format!(
                    "WITH RECURSIVE ch(bench_id, channel) AS ( \
                       SELECT b.id, (SELECT MIN(r.channel) FROM runs r WHERE r.bench_id = b.id) FROM benches b {filter} \
                       UNION ALL \
                       SELECT ch.bench_id, (SELECT MIN(r.channel) FROM runs r WHERE r.bench_id = ch.bench_id \
                         AND r.channel > ch.channel) FROM ch WHERE ch.channel IS NOT NULL) \
                     SELECT r.* FROM ch JOIN runs r ON r.id = (SELECT l.id FROM runs l WHERE l.bench_id = ch.bench_id \
                       AND l.channel = ch.channel ORDER BY l.triggered_at DESC, l.id DESC LIMIT 1) \
                     ORDER BY r.channel"
                ),
                a,
            )
            .await?;
        let mut latest: HashMap<i64, Vec<ChannelLatest>> = HashMap::new();
        for row in latest_rows {
            let bench_id = row.bench_id;
            let run = row.into_model(Vec::new());
            latest.entry(bench_id).or_default().push(ChannelLatest {
                channel: run.channel,
                run_id: run.id,
                status: run.status,
                mean_headline_score: run.mean_headline_score,
                pass_rate: run.pass_rate,
                total_cost_usd: run.total_cost_usd,
                triggered_at: run.triggered_at,
                workflow_version_number: run.workflow_version_number,
                judge_version_number: run.judge_version_number,
            });
        }
        Ok(benches
            .into_iter()
            .map(|b| {
                let id = b.id;
                BenchOverview {
                    bench: b.into_model(cases.get(&id).copied().unwrap_or(0)),
                    run_count: runs.get(&id).copied().unwrap_or(0),
                    latest: latest.remove(&id).unwrap_or_default(),
                }
            })
            .collect())
    }
}
