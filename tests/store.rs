//! Store contract tests that go below the HTTP layer, on SQLite and on PostgreSQL.

mod common;

use assay::domain::ResultStatus;
use assay::server::input::{ResultInput, TriggerRun};
use common::{fresh_url, Kind, TestApp};
use rand::{Rng, SeedableRng};
use serde_json::json;

on_both_backends!(live_sums_match_a_recount_after_random_replacements, migrations_are_idempotent);

fn result(case: &str, epoch: i64, rng: &mut rand::rngs::StdRng) -> ResultInput {
    let statuses = ResultStatus::ALL;
    let status = statuses[rng.gen_range(0..statuses.len())];
    let mut dims = std::collections::BTreeMap::new();
    if rng.gen_bool(0.7) {
        dims.insert("accuracy".to_string(), rng.gen_range(0.0..=1.0));
    }
    if rng.gen_bool(0.3) {
        dims.insert("tone".to_string(), rng.gen_range(0.0..=1.0));
    }
    serde_json::from_value(json!({
        "case_id": case,
        "epoch": epoch,
        "status": status,
        "headline_score": if rng.gen_bool(0.8) { Some(rng.gen_range(0.0..=1.0)) } else { None },
        "cost_usd": rng.gen_range(0.0..0.01),
        "duration_ms": if rng.gen_bool(0.9) { Some(rng.gen_range(0..5000)) } else { None },
        "input_tokens": rng.gen_range(0..1000),
        "cache_hit": rng.gen_bool(0.1),
        "dimension_scores": dims,
    }))
    .unwrap()
}

async fn live_sums_match_a_recount_after_random_replacements(t: TestApp) {
    let cases: Vec<String> = (0..60).map(|i| format!("case-{i}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("prop", &refs).await;
    let (run, _) = t
        .store
        .trigger_run(&TriggerRun { bench: "prop".into(), channel: "production".into(), ..Default::default() })
        .await
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..12 {
        let n = rng.gen_range(1..25);
        let mut seen = std::collections::HashSet::new();
        let batch: Vec<ResultInput> = (0..n)
            .filter_map(|_| {
                let c = cases[rng.gen_range(0..cases.len())].clone();
                let e = rng.gen_range(1..=2);
                seen.insert((c.clone(), e)).then(|| result(&c, e, &mut rng))
            })
            .collect();
        t.store.ingest_results(run.id, batch).await.unwrap();
        let live = t.store.get_run(run.id).await.unwrap();
        let exact = t.store.recomputed_run(run.id).await.unwrap();
        assert_eq!(live.results_count, exact.results_count);
        assert_eq!(live.status_breakdown, exact.status_breakdown);
        assert_eq!((live.passed, live.failed, live.inconclusive), (exact.passed, exact.failed, exact.inconclusive));
        assert_eq!(live.missing, exact.missing);
        assert_eq!(live.total_tokens, exact.total_tokens);
        assert_eq!(live.cache_hit_cases, exact.cache_hit_cases);
        assert!((live.total_cost_usd - exact.total_cost_usd).abs() < 1e-9);
        match (live.mean_headline_score, exact.mean_headline_score) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9),
            (a, b) => assert_eq!(a, b),
        }
        assert_eq!(live.dimension_scores.keys().collect::<Vec<_>>(), exact.dimension_scores.keys().collect::<Vec<_>>());
        for (k, v) in &live.dimension_scores {
            assert!((v - exact.dimension_scores[k]).abs() < 1e-9, "{k}");
        }
    }
    // Completing stores the exact recount.
    let done = t.store.finish_run(run.id, assay::server::store::Finish::Complete, None).await.unwrap();
    let exact = t.store.recomputed_run(run.id).await.unwrap();
    assert_eq!(done.total_cost_usd, exact.total_cost_usd);
    assert_eq!(done.mean_headline_score, exact.mean_headline_score);
}

async fn migrations_are_idempotent(t: TestApp) {
    t.store.migrate().await.unwrap();
    let again = assay::server::store::Store::connect(&t.url).await.unwrap();
    again.migrate().await.unwrap();
    let (n,): (i64,) = again.db.one("SELECT COUNT(*) FROM benches", vec![]).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_on_first_start() {
    let (url, dir) = fresh_url(Kind::Sqlite).await.unwrap();
    let path = dir.as_ref().unwrap().path().join("assay.db");
    assert!(!path.exists());
    let store = assay::server::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert!(path.exists());
    let (mode,): (String,) = store.db.one("PRAGMA journal_mode", vec![]).await.unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = store.db.one("PRAGMA foreign_keys", vec![]).await.unwrap();
    assert_eq!(fk, 1);
}
