//! SIGKILL in the middle of ingestion, at seeded moments, then a restart on the same database:
//! every acknowledged batch is there whole, no batch is there in part, and the run's stored
//! aggregates equal a recount of its rows.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;

use super::common::{self, TestApp};
use super::harness::{aggregates_match_a_recount, batch, whole_epochs, Api, Server};

crate::on_both_backends!(sigkill_mid_ingest_keeps_every_acknowledged_batch_whole_and_none_in_part);

/// Cases per batch: big enough that a batch's transaction takes a while, so kills land inside.
const K: usize = 500;
const ROUNDS: usize = 4;
/// Clients pushing at once: there is nearly always a batch in flight.
const PUSHERS: usize = 2;
const SEED: u64 = 13;

async fn sigkill_mid_ingest_keeps_every_acknowledged_batch_whole_and_none_in_part(t: TestApp) {
    let mut server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    let cases = Arc::new(api.seed_bench("crash", K).await);
    let run = api.trigger("crash").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let next_epoch = Arc::new(AtomicI64::new(1));
    let mut acked_all = BTreeSet::new();
    let mut in_flight_at_kills = 0;
    for round in 0..ROUNDS {
        let kill_after = Duration::from_millis(rng.gen_range(150..1_500));
        let api = Api::new(&server.base, &t.write);
        let acked = Arc::new(Mutex::new(BTreeSet::new()));
        let sent = Arc::new(Mutex::new(BTreeSet::new()));
        let pushers: Vec<_> = (0..PUSHERS)
            .map(|_| {
                let (api, cases, next, acked, sent) = (api.clone(), cases.clone(), next_epoch.clone(), acked.clone(), sent.clone());
                tokio::spawn(async move {
                    loop {
                        let epoch = next.fetch_add(1, Ordering::SeqCst);
                        sent.lock().unwrap().insert(epoch);
                        match api.try_send(reqwest::Method::POST, &format!("/api/runs/{run}/results"), Some(&batch(&cases, epoch))).await {
                            Ok((StatusCode::OK, counts)) => {
                                assert_eq!(counts, json!({"inserted": K, "replaced": 0}));
                                acked.lock().unwrap().insert(epoch);
                            }
                            Ok((s, e)) => panic!("epoch {epoch}: {s} {e}"),
                            // The server is gone: this batch's fate is what the test checks.
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(kill_after).await;
        server.kill();
        for p in pushers {
            tokio::time::timeout(Duration::from_secs(30), p).await.expect("pushers stop once the server is gone").unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        let in_flight: BTreeSet<i64> = sent.lock().unwrap().difference(&acked).copied().collect();
        in_flight_at_kills += in_flight.len();
        acked_all.extend(acked.iter().copied());

        server = Server::start(&t.url, &[]).await;
        let api = Api::new(&server.base, &t.write);
        let stored = whole_epochs(&t.db, run, K as i64).await;
        let missing: Vec<_> = acked_all.difference(&stored).collect();
        assert!(missing.is_empty(), "round {round}: acknowledged batches lost: {missing:?}");
        let unexplained: Vec<_> = stored.iter().filter(|e| !acked_all.contains(e) && !in_flight.contains(e)).collect();
        assert!(unexplained.is_empty(), "round {round}: batches stored that were never sent: {unexplained:?}");
        // Batches in flight at the kill that committed count as stored from now on.
        acked_all.extend(stored.iter().copied());
        let live = aggregates_match_a_recount(&api, &t.store, run).await;
        assert_eq!(live["results_count"], stored.len() as i64 * K as i64);
        eprintln!(
            "round {round}: killed after {kill_after:?}: {} acknowledged, {} in flight ({} of them committed), {} batches stored",
            acked.len(),
            in_flight.len(),
            in_flight.intersection(&stored).count(),
            stored.len()
        );
    }
    assert!(in_flight_at_kills > 0, "no kill landed while a batch was in flight: the test proved nothing");
    // The run still completes, with exact aggregates.
    let api = Api::new(&server.base, &t.write);
    let (s, done) = api.post(&format!("/api/runs/{run}/complete"), &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    assert_eq!(aggregates_match_a_recount(&api, &t.store, run).await, done);
}
