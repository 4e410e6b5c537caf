//! Store contract tests that go below the HTTP layer, on SQLite and on PostgreSQL.

mod common;

use assay::domain::ResultStatus;
use assay::server::store::input::{ResultInput, TriggerRun};
use common::{fresh_url, Kind, TestApp};
use rand::{Rng, SeedableRng};
use serde_json::json;

on_both_backends!(live_sums_match_a_recount_after_random_replacements, migrations_are_idempotent, finished_figures_are_drawn_once, unknown_stored_statuses_are_errors);

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
    assert!(!again.has_benches().await.unwrap());
}

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_on_first_start() {
    let (url, dir) = fresh_url(Kind::Sqlite).await.unwrap();
    let path = dir.as_ref().unwrap().path().join("assay.db");
    assert!(!path.exists());
    let store = assay::server::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert!(path.exists());
    let db = assay::server::sql::Db::connect(&url).await.unwrap();
    let (mode,): (String,) = db.one("PRAGMA journal_mode", vec![]).await.unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = db.one("PRAGMA foreign_keys", vec![]).await.unwrap();
    assert_eq!(fk, 1);
}

/// Figures of a finished run are drawn once; a running run's every time; a deleted run's are
/// dropped with it (SQLite hands its id out again).
async fn finished_figures_are_drawn_once(t: TestApp) {
    use std::sync::atomic::{AtomicU32, Ordering};
    t.seed_bench("fig", &["a"]).await;
    let run = t.trigger("fig", "production").await;
    let calls = AtomicU32::new(0);
    let draw = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>("<svg/>".to_string())
    };
    for _ in 0..3 {
        assert_eq!(t.store.figure(run, "x", true, draw).await.unwrap(), "<svg/>");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for _ in 0..2 {
        t.store.figure(run + 1, "x", false, draw).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "running runs are drawn every time");
    t.store.delete_run(run).await.unwrap();
    t.store.figure(run, "x", true, draw).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4, "a deleted run's figures are gone");
}

/// A status this server does not know (a newer server wrote it, or a hand edit) is an error,
/// never silently read as some other status.
async fn unknown_stored_statuses_are_errors(t: TestApp) {
    use assay::server::store::{Finish, StoreError};
    t.seed_bench("odd", &["a"]).await;
    let run = t.trigger("odd", "production").await;
    let (s, e) = t.post(&format!("/api/runs/{run}/results"), json!({"results": [{"case_id": "a", "status": "ok", "headline_score": 1.0}]})).await;
    assert!(s.is_success(), "{e}");
    t.db.one::<(i64,)>("UPDATE results SET status = 'exploded' WHERE run_id = $1 RETURNING id", vec![run.into()]).await.unwrap();
    let err = t.store.compare(run, run, None).await.unwrap_err();
    assert!(err.to_string().contains("exploded"), "{err}");
    let err = t.store.finish_run(run, Finish::Complete, None).await.unwrap_err();
    assert!(matches!(err, StoreError::Internal(ref m) if m.contains("exploded")), "{err}");
    t.db.one::<(i64,)>("UPDATE runs SET status = 'paused' WHERE id = $1 RETURNING id", vec![run.into()]).await.unwrap();
    let err = t.store.ingest_results(run, vec![]).await.unwrap_err();
    assert!(matches!(err, StoreError::Internal(ref m) if m.contains("paused")), "{err}");
}
