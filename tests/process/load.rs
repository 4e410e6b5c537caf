//! Concurrent writers, each on its own run, and readers on the pages and list routes, against
//! one server for a bounded time: every batch lands, no answer is a 5xx, and nothing anywhere
//! says "database is locked" (8 writers on SQLite, 16 on PostgreSQL).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::common::{self, Kind, TestApp};
use super::harness::{aggregates_match_a_recount, batch, whole_epochs, Api, Server};

crate::on_both_backends!(writers_and_readers_together_all_land_without_a_5xx);

const K: usize = 100;
const BATCHES: i64 = 8;
const READERS: usize = 4;
/// The whole exchange must be over by then (a debug build on a busy two-core machine).
const BOUND: Duration = Duration::from_secs(90);

async fn writers_and_readers_together_all_land_without_a_5xx(t: TestApp) {
    let writers = if t.kind() == Kind::Sqlite { 8 } else { 16 };
    let server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    let cases = Arc::new(api.seed_bench("load", K).await);
    let mut runs = Vec::new();
    for _ in 0..writers {
        runs.push(api.trigger("load").await);
    }
    let started = Instant::now();
    let writing = Arc::new(AtomicBool::new(true));
    let writer_tasks: Vec<_> = runs
        .iter()
        .map(|&run| {
            let (api, cases) = (api.clone(), cases.clone());
            tokio::spawn(async move {
                for epoch in 1..=BATCHES {
                    let (s, e) = api.post(&format!("/api/runs/{run}/results"), &batch(&cases, epoch)).await;
                    assert_eq!(s, StatusCode::OK, "run {run} epoch {epoch}: {e}");
                }
            })
        })
        .collect();
    let reads = Arc::new(AtomicUsize::new(0));
    let reader_tasks: Vec<_> = (0..READERS)
        .map(|r| {
            let (api, writing, reads, runs) = (api.clone(), writing.clone(), reads.clone(), runs.clone());
            let case = cases[r].clone();
            tokio::spawn(async move {
                let mut i = r;
                while writing.load(Ordering::SeqCst) {
                    let run = runs[i % runs.len()];
                    let other = runs[(i + 1) % runs.len()];
                    let path = match i % 11 {
                        0 => "/".to_string(),
                        1 => "/runs".to_string(),
                        2 => "/api/runs?limit=50".to_string(),
                        3 => format!("/runs/{run}"),
                        4 => format!("/api/runs/{run}/results?limit=100&sort=-score"),
                        5 => "/benches/load".to_string(),
                        6 => "/api/benches".to_string(),
                        7 => format!("/bench-runs/{run}/results"),
                        8 => format!("/api/runs/{run}/stats"),
                        9 => format!("/runs/{run}/cases/{case}"),
                        _ => format!("/compare?a={run}&b={other}"),
                    };
                    let res = api.client.get(format!("{}{path}", api.base)).send().await.unwrap();
                    let status = res.status();
                    let body = res.text().await.unwrap();
                    assert!(!status.is_server_error(), "GET {path}: {status} {body}");
                    // A case page is a 404 until the run's first batch holds that case.
                    let fine = status == StatusCode::OK || (path.contains("/cases/") && status == StatusCode::NOT_FOUND);
                    assert!(fine, "GET {path}: {status} {body}");
                    assert!(!body.contains("database is locked"), "GET {path}: {body}");
                    reads.fetch_add(1, Ordering::Relaxed);
                    i += READERS;
                }
            })
        })
        .collect();
    for w in writer_tasks {
        let left = BOUND.saturating_sub(started.elapsed());
        tokio::time::timeout(left, w).await.expect("writers finish within the bound").unwrap();
    }
    let elapsed = started.elapsed();
    writing.store(false, Ordering::SeqCst);
    for r in reader_tasks {
        r.await.unwrap();
    }
    let reads = reads.load(Ordering::Relaxed);
    eprintln!(
        "{writers} writers: {} results in {elapsed:.1?}; {READERS} readers: {reads} pages and lists",
        runs.len() * K * BATCHES as usize
    );
    assert!(reads >= READERS, "the readers ran beside the writers");
    for &run in &runs {
        assert_eq!(whole_epochs(&t.db, run, K as i64).await.len() as i64, BATCHES, "run {run}: every batch landed");
        let live = aggregates_match_a_recount(&api, &t.store, run).await;
        assert_eq!(live["results_count"], json!(K as i64 * BATCHES));
    }
    let log = server.log();
    assert!(!log.contains("database is locked"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
}
