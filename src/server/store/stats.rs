//! Run stats (Sentinel's ResultStats) and bench overviews.

use std::collections::HashMap;

use super::rows::{BenchRow, RunRow, BENCH_SELECT};
use super::{Store, StoreResult};
use crate::args;
use crate::model::{BenchOverview, ChannelLatest, RunStats};

impl Store {
    /// Sentinel's ResultStats for a run: its stored aggregates plus latency percentiles
    /// (nearest rank, read through the latency index).
    pub async fn run_stats(&self, run_id: i64) -> StoreResult<RunStats> {
        let run = self.get_run(run_id).await?;
        let (n,) = self
            .db
            .one::<(i64,)>("SELECT COUNT(*) FROM results WHERE run_id = $1 AND duration_ms IS NOT NULL", args![run_id])
            .await?;
        // Nearest-rank percentiles: the value at rank ceil(p·n).
        let rank = |p: f64| ((p * n as f64).ceil() as i64).clamp(1, n.max(1)) - 1;
        let p50 = self.latency_at(run_id, n, rank(0.5)).await?;
        let p95 = self.latency_at(run_id, n, rank(0.95)).await?;
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
            p50_latency_ms: p50,
            p95_latency_ms: p95,
            total_tokens: run.total_tokens,
            total_cost: run.total_cost_usd,
            dimension_scores: run.dimension_scores,
            status_breakdown: run.status_breakdown,
        })
    }

    async fn latency_at(&self, run_id: i64, n: i64, rank: i64) -> StoreResult<Option<i64>> {
        if n == 0 {
            return Ok(None);
        }
        Ok(self
            .db
            .opt::<(i64,)>(
                "SELECT duration_ms FROM results WHERE run_id = $1 AND duration_ms IS NOT NULL \
                 ORDER BY duration_ms LIMIT 1 OFFSET $2",
                args![run_id, rank],
            )
            .await?
            .map(|r| r.0))
    }

    /// Benches with their case count, run count and latest run on each channel: four set
    /// queries, whatever the number of benches and channels.
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
        // The newest run of each (bench, channel), through runs_by_bench_channel.
        let latest_rows = self
            .db
            .all::<RunRow>(
                &format!(
                    "SELECT * FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.bench_id, r.channel \
                     ORDER BY r.triggered_at DESC, r.id DESC) AS rn FROM runs r WHERE r.{in_benches}) t \
                     WHERE rn = 1 ORDER BY channel"
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
