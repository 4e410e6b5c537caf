//! The write API through the real router, on SQLite and on PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::{approx, TestApp};
use serde_json::{json, Value};

on_both_backends!(
    aggregates_are_exact_on_a_hand_computed_example,
    resent_case_replaces_its_row_and_fixes_aggregates,
    epochs_are_rows_of_their_own,
    trigger_with_the_same_idempotency_key_answers_the_first_run,
    complete_fail_cancel_are_idempotent_on_finished_runs,
    versions_are_resolved_at_trigger_time,
    sampled_run_draws_its_selection_on_the_server,
    explicit_case_ids_fix_the_selection,
    refused_requests_change_nothing,
    a_bad_result_at_the_end_of_a_batch_writes_nothing,
    tokens_and_scopes,
    publishing_the_same_content_returns_the_existing_version,
    channels_keep_their_publish_history,
    case_upserts_count_and_frozen_cases_refuse_changes,
    import_creates_a_finished_run_in_one_go,
    refused_import_writes_nothing,
    delete_needs_admin_and_removes_everything_under_the_run,
    results_whole_with_trace_and_odd_case_ids,
    body_limits,
    eight_concurrent_writers_all_land,
);

/// Results whose aggregates were worked out by hand (score_max 1, threshold 0.5).
fn example_results() -> Value {
    json!({"results": [
        {"case_id": "c1", "status": "ok", "headline_score": 0.9, "workflow_cost_usd": 0.01, "judge_cost_usd": 0.002,
         "duration_ms": 1000, "input_tokens": 100, "output_tokens": 20, "tool_tokens": 5,
         "dimension_scores": {"accuracy": 1.0, "tone": 0.5},
         "scorer_results": [{"scorer_name": "exact", "score": 1.0, "passed": true, "reason": "match", "dimension": "accuracy"}]},
        {"case_id": "c2", "status": "ok", "headline_score": 0.3, "cost_usd": 0.02, "duration_ms": 3000,
         "tokens_used": 50, "dimension_scores": {"accuracy": 0.0}},
        {"case_id": "c3", "status": "cached", "headline_score": 0.6, "cache_hit": true, "duration_ms": 2000},
        {"case_id": "c4", "status": "workflow_failed", "error": "timeout", "cost_usd": 0.005},
        {"case_id": "c5", "status": "ok", "duration_ms": 500},
        {"case_id": "c6", "status": "skipped"}
    ]})
}

async fn aggregates_are_exact_on_a_hand_computed_example(t: TestApp) {
    t.seed_bench("agg", &["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]).await;
    let id = t.trigger("agg", "production").await;
    let (s, counts) = t.post(&format!("/api/runs/{id}/results"), example_results()).await;
    assert_eq!(s, StatusCode::OK, "{counts}");
    assert_eq!(counts, json!({"inserted": 6, "replaced": 0}));

    let (_, live) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(live["status"], "running", "results move a pending run to running");
    let (s, run) = t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    for r in [&live, &run] {
        assert_eq!(r["total_cases"], 8);
        assert_eq!(r["results_count"], 6);
        assert_eq!(r["ok_cases"], 4, "ok + cached");
        // mean over ok + cached with a score: (0.9 + 0.3 + 0.6) / 3
        assert!(approx(&r["mean_headline_score"], 0.6), "{}", r["mean_headline_score"]);
        assert_eq!(r["status_breakdown"], json!({"ok": 3, "cached": 1, "workflow_failed": 1, "skipped": 1}));
        assert_eq!(r["passed"], 2, "0.9 and 0.6");
        assert_eq!(r["failed"], 1, "0.3");
        assert_eq!(r["inconclusive"], 2, "the failed workflow and the ok result without a score");
        assert_eq!(r["missing"], 2, "c7, c8");
        assert!(approx(&r["pass_rate"], 2.0 / 5.0));
        assert_eq!(r["cache_hit_cases"], 1);
        assert!(approx(&r["total_cost_usd"], 0.012 + 0.02 + 0.005));
        assert!(approx(&r["avg_latency_ms"], (1000.0 + 3000.0 + 2000.0 + 500.0) / 4.0));
        assert_eq!(r["total_tokens"], 125 + 50);
        assert!(approx(&r["dimension_scores"]["accuracy"], 0.5));
        assert!(approx(&r["dimension_scores"]["tone"], 0.5));
    }
    assert_eq!(run["status"], "completed");
    assert!(run["completed_at"].as_str().unwrap().ends_with('Z'));
    // Verdicts are stored on each result.
    for (case, verdict) in [("c1", json!("pass")), ("c2", json!("fail")), ("c4", json!("error")), ("c5", json!("error")), ("c6", Value::Null)] {
        let (_, r) = t.get(&format!("/api/runs/{id}/results/{case}")).await;
        assert_eq!(r["verdict"], verdict, "{case}");
    }
    let (_, c1) = t.get(&format!("/api/runs/{id}/results/c1")).await;
    assert!(approx(&c1["cost_usd"], 0.012));
    assert_eq!(c1["tokens_used"], 125);
}

async fn resent_case_replaces_its_row_and_fixes_aggregates(t: TestApp) {
    t.seed_bench("rep", &["a", "b"]).await;
    let id = t.trigger("rep", "production").await;
    let (_, c) = t
        .post(&format!("/api/runs/{id}/results"), json!({"results": [
            {"case_id": "a", "status": "ok", "headline_score": 0.2, "cost_usd": 1.0, "duration_ms": 10, "dimension_scores": {"d": 0.2},
             "scorer_results": [{"scorer_name": "s", "score": 0.2}], "trace": {"steps": [{"index": 0, "name": "x"}]}},
            {"case_id": "b", "status": "judge_failed", "cost_usd": 0.5}
        ]}))
        .await;
    assert_eq!(c, json!({"inserted": 2, "replaced": 0}));
    let (s, c) = t
        .post(&format!("/api/runs/{id}/results"), json!({"results": [
            {"case_id": "a", "status": "ok", "headline_score": 0.8, "cost_usd": 2.0, "duration_ms": 30, "dimension_scores": {"d": 0.8}}
        ]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c, json!({"inserted": 0, "replaced": 1}));
    let (_, run) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(run["results_count"], 2, "replaced, not duplicated");
    assert!(approx(&run["mean_headline_score"], 0.8));
    assert_eq!(run["passed"], 1);
    assert_eq!(run["failed"], 0);
    assert_eq!(run["inconclusive"], 1);
    assert!(approx(&run["total_cost_usd"], 2.5));
    assert!(approx(&run["avg_latency_ms"], 30.0));
    assert!(approx(&run["dimension_scores"]["d"], 0.8));
    assert_eq!(run["missing"], 0);
    // The old row's children went with it.
    let (_, a) = t.get(&format!("/api/runs/{id}/results/a")).await;
    assert_eq!(a["scorer_results"], json!([]));
    assert_eq!(a["trace"]["steps"], json!([]));
    let counts = t.table_counts().await;
    let n = |name: &str| counts.iter().find(|(t, _)| t == name).unwrap().1;
    assert_eq!((n("results"), n("scorer_results"), n("trace_steps"), n("result_dimensions")), (2, 0, 0, 1));
    // The live sums agree with a recount from the rows.
    let recomputed = serde_json::to_value(t.store.recomputed_run(id).await.unwrap()).unwrap();
    assert_eq!(recomputed, run);
}

async fn epochs_are_rows_of_their_own(t: TestApp) {
    t.seed_bench("ep", &["a", "b"]).await;
    let id = t.trigger("ep", "production").await;
    let (_, c) = t
        .post(&format!("/api/runs/{id}/results"), json!({"results": [
            {"case_id": "a", "status": "ok", "headline_score": 1.0},
            {"case_id": "a", "epoch": 2, "status": "ok", "headline_score": 0.0},
            {"case_id": "a", "epoch": 3, "status": "ok", "headline_score": 0.5}
        ]}))
        .await;
    assert_eq!(c, json!({"inserted": 3, "replaced": 0}));
    let (_, run) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(run["results_count"], 3, "aggregates count rows");
    assert_eq!(run["missing"], 1, "b has no result; a has three epochs");
    let (_, e2) = t.get(&format!("/api/runs/{id}/results/a?epoch=2")).await;
    assert_eq!(e2["epoch"], 2);
    assert!(approx(&e2["headline_score"], 0.0));
    let (s, _) = t.get(&format!("/api/runs/{id}/results/a?epoch=4")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "a", "epoch": 0, "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "results[0].epoch");
    let (s, e) = t
        .post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "b", "status": "ok"}, {"case_id": "b", "status": "ok"}]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the same case and epoch twice in one batch");
    assert_eq!(e["error"]["field"], "results[1]");
}

async fn trigger_with_the_same_idempotency_key_answers_the_first_run(t: TestApp) {
    t.seed_bench("idem", &["a"]).await;
    let body = json!({"bench": "idem", "channel": "production", "idempotency_key": "ci-build-42", "notes": "first"});
    let (s, first) = t.post("/api/runs", body).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, again) = t
        .post("/api/runs", json!({"bench": "idem", "channel": "canary", "idempotency_key": "ci-build-42", "notes": "second"}))
        .await;
    assert_eq!(s, StatusCode::OK, "a replay answers 200");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["notes"], "first", "the first run, even though the body differs");
    let (s, other) = t.post("/api/runs", json!({"bench": "idem", "channel": "production", "idempotency_key": "ci-build-43"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(other["id"], first["id"]);
    let (n,): (i64,) = t.db.one("SELECT COUNT(*) FROM runs", vec![]).await.unwrap();
    assert_eq!(n, 2);
}

async fn complete_fail_cancel_are_idempotent_on_finished_runs(t: TestApp) {
    t.seed_bench("fin", &["a"]).await;
    let id = t.trigger("fin", "production").await;
    let (s, done) = t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(done["status"], "completed");
    for action in ["complete", "fail", "cancel"] {
        let (s, again) = t.send(Method::POST, &format!("/api/runs/{id}/{action}"), Some(&t.write), None).await;
        assert_eq!(s, StatusCode::OK, "{action}");
        assert_eq!(again, done, "{action} on a finished run answers it as it stands");
    }
    // Results to a finished run are a 409 and change nothing.
    let (s, e) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "a", "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "run_finished");

    let id2 = t.trigger("fin", "production").await;
    let (s, failed) = t.post(&format!("/api/runs/{id2}/fail"), json!({"error": "harness crashed"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], "harness crashed");
    let id3 = t.trigger("fin", "production").await;
    let (_, canceled) = t.send(Method::POST, &format!("/api/runs/{id3}/cancel"), Some(&t.write), None).await;
    assert_eq!(canceled["status"], "canceled");
    let (s, _) = t.post("/api/runs/999999/complete", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn versions_are_resolved_at_trigger_time(t: TestApp) {
    t.seed_bench("ver", &["a"]).await;
    let first = t.trigger("ver", "canary").await;
    let (_, run1) = t.get(&format!("/api/runs/{first}")).await;
    assert_eq!(run1["workflow_version_number"], 1);
    assert_eq!(run1["judge_version_number"], 1);
    assert_eq!(run1["judge_script_name"], "jd");
    // Publish new versions to the channels the run used.
    let (s, wf2) = t.post("/api/scripts/workflow/wf/versions", json!({"source": "v2", "channels": ["canary"]})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(wf2["number"], 2);
    let (s, _) = t.post("/api/scripts/judge/jd/versions", json!({"source": "judge v2", "channels": ["production"]})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, again) = t.get(&format!("/api/runs/{first}")).await;
    assert_eq!(again["workflow_version_id"], run1["workflow_version_id"], "a later publish never changes a run");
    assert_eq!(again["judge_version_id"], run1["judge_version_id"]);
    let second = t.trigger("ver", "canary").await;
    let (_, run2) = t.get(&format!("/api/runs/{second}")).await;
    assert_eq!(run2["workflow_version_number"], 2);
    assert_eq!(run2["judge_version_number"], 2);
    // production still points at workflow v1.
    let third = t.trigger("ver", "production").await;
    let (_, run3) = t.get(&format!("/api/runs/{third}")).await;
    assert_eq!(run3["workflow_version_number"], 1);
    // Bench edits do not change a finished run's threshold.
    t.post(&format!("/api/runs/{first}/complete"), json!({})).await;
    let (s, _) = t.put("/api/benches/ver", json!({"workflow": "wf", "judge": "jd", "pass_threshold": 0.9})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, kept) = t.get(&format!("/api/runs/{first}")).await;
    assert_eq!(kept["pass_threshold"], 0.5);
    let fourth = t.trigger("ver", "production").await;
    let (_, run4) = t.get(&format!("/api/runs/{fourth}")).await;
    assert_eq!(run4["pass_threshold"], 0.9);
}

async fn sampled_run_draws_its_selection_on_the_server(t: TestApp) {
    let ids: Vec<String> = (0..30).map(|i| format!("case-{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    t.seed_bench("samp", &refs).await;
    let (s, run) = t.post("/api/runs", json!({"bench": "samp", "channel": "production", "mode": "sampled", "sample_size": 5})).await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    assert_eq!(run["mode"], "sampled");
    assert_eq!(run["sample_size"], 5);
    assert_eq!(run["total_cases"], 5);
    let picked: Vec<String> = serde_json::from_value(run["case_filter"].clone()).unwrap();
    assert_eq!(picked.len(), 5);
    assert!(picked.iter().all(|p| ids.contains(p)));
    let id = run["id"].as_i64().unwrap();
    let outside = ids.iter().find(|c| !picked.contains(c)).unwrap();
    let (s, e) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": outside, "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a case outside the run's fixed selection");
    assert_eq!(e["error"]["code"], "not_in_selection");
    assert_eq!(e["error"]["field"], "results[0].case_id");
    let (s, _) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": picked[0], "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(r["missing"], 4);
    // Draws differ between runs (30 choose 5: the same draw twice in a row is ~7e-6).
    let mut draws = std::collections::HashSet::new();
    for _ in 0..3 {
        let (_, r) = t.post("/api/runs", json!({"bench": "samp", "channel": "production", "mode": "sampled", "sample_size": 5})).await;
        draws.insert(r["case_filter"].to_string());
    }
    assert!(draws.len() > 1, "sampling is random");
    for (body, status, field) in [
        (json!({"bench": "samp", "channel": "production", "mode": "sampled"}), StatusCode::UNPROCESSABLE_ENTITY, "sample_size"),
        // More than the bench's 30 cases: a conflict with what the bench holds.
        (json!({"bench": "samp", "channel": "production", "mode": "sampled", "sample_size": 31}), StatusCode::CONFLICT, "sample_size"),
        (json!({"bench": "samp", "channel": "production", "mode": "sampled", "sample_size": 0}), StatusCode::UNPROCESSABLE_ENTITY, "sample_size"),
        (json!({"bench": "samp", "channel": "production", "mode": "sometimes"}), StatusCode::UNPROCESSABLE_ENTITY, "mode"),
        (json!({"bench": "samp", "channel": "production", "sample_size": 3}), StatusCode::UNPROCESSABLE_ENTITY, "sample_size"),
    ] {
        let (s, e) = t.post("/api/runs", body).await;
        assert_eq!(s, status, "{e}");
        assert_eq!(e["error"]["field"], field);
    }
}

async fn explicit_case_ids_fix_the_selection(t: TestApp) {
    t.seed_bench("sel", &["a", "b", "c"]).await;
    let (s, run) = t.post("/api/runs", json!({"bench": "sel", "channel": "production", "case_ids": ["a", "c", "a"]})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(run["total_cases"], 2);
    assert_eq!(run["case_filter"], json!(["a", "c"]));
    let id = run["id"].as_i64().unwrap();
    let (s, _) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "b", "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "b is in the bench but not in the run's selection");
    let (s, e) = t.post("/api/runs", json!({"bench": "sel", "channel": "production", "case_ids": ["a", "zz"]})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the bench has no case zz");
    assert_eq!(e["error"]["field"], "case_ids[1]");
    // A full run selects the cases that exist at trigger time, not ones added later.
    let full = t.trigger("sel", "production").await;
    let (s, _) = t.put("/api/benches/sel/cases", json!({"cases": [{"id": "late"}]})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t.post(&format!("/api/runs/{full}/results"), json!({"results": [{"case_id": "late", "status": "ok"}]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, r) = t.get(&format!("/api/runs/{full}")).await;
    assert_eq!(r["total_cases"], 3);
}

async fn refused_requests_change_nothing(t: TestApp) {
    t.seed_bench("err", &["a", "b"]).await;
    let id = t.trigger("err", "production").await;
    t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "a", "status": "ok", "headline_score": 0.5}]})).await;
    let before = t.table_counts().await;
    let run_before = t.run_json(id).await;
    let results = format!("/api/runs/{id}/results");
    let bad: Vec<(&str, String, Value, StatusCode, Option<&str>)> = vec![
        ("unknown status", results.clone(), json!({"results": [{"case_id": "b", "status": "passed"}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].status")),
        ("score above max", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "headline_score": 1.5}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].headline_score")),
        ("negative score", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "headline_score": -0.1}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].headline_score")),
        ("scorer out of range", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "scorer_results": [{"scorer_name": "x", "score": 2}]}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].scorer_results[0].score")),
        ("dimension out of range", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "dimension_scores": {"tone": 9}}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].dimension_scores.tone")),
        ("score as a string NaN", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "headline_score": "NaN"}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].headline_score")),
        ("negative cost", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "cost_usd": -1}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].cost_usd")),
        ("negative judge cost", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "judge_cost_usd": -0.5}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].judge_cost_usd")),
        ("negative duration", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "duration_ms": -5}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].duration_ms")),
        ("inconsistent cost", results.clone(), json!({"results": [{"case_id": "b", "status": "ok", "cost_usd": 1, "workflow_cost_usd": 0.5}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0].cost_usd")),
        ("case outside selection", results.clone(), json!({"results": [{"case_id": "nope", "status": "ok"}]}), StatusCode::CONFLICT, Some("results[0].case_id")),
        ("missing status", results.clone(), json!({"results": [{"case_id": "b"}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results[0]")),
        ("too many results", results.clone(), json!({"results": vec![json!({"case_id": "b", "status": "ok"}); 10_001]}), StatusCode::UNPROCESSABLE_ENTITY, Some("results")),
        ("unknown run", "/api/runs/424242/results".into(), json!({"results": []}), StatusCode::NOT_FOUND, None),
        ("missing channel", "/api/runs".into(), json!({"bench": "err", "channel": "nightly"}), StatusCode::NOT_FOUND, Some("channel")),
        ("unknown bench", "/api/runs".into(), json!({"bench": "nope", "channel": "production"}), StatusCode::NOT_FOUND, Some("bench")),
        ("metadata not an object", "/api/runs".into(), json!({"bench": "err", "channel": "production", "metadata": [1]}), StatusCode::UNPROCESSABLE_ENTITY, Some("metadata")),
        ("bench with unknown judge", "/api/benches/x".into(), json!({"workflow": "wf", "judge": "nobody"}), StatusCode::NOT_FOUND, Some("judge")),
        ("threshold above max", "/api/benches/x".into(), json!({"workflow": "wf", "judge": "jd", "score_max": 10, "pass_threshold": 11}), StatusCode::UNPROCESSABLE_ENTITY, Some("pass_threshold")),
        ("bad script kind", "/api/scripts/tool/x/versions".into(), json!({"source": "x"}), StatusCode::NOT_FOUND, Some("kind")),
        ("version without source", "/api/scripts/workflow/wf/versions".into(), json!({"label": "x"}), StatusCode::UNPROCESSABLE_ENTITY, None),
        ("move to unknown version", "/api/scripts/workflow/wf/channels/production".into(), json!({"version": 99}), StatusCode::NOT_FOUND, Some("version")),
        ("case id too long", "/api/benches/err/cases".into(), json!({"cases": [{"id": "x".repeat(257)}]}), StatusCode::UNPROCESSABLE_ENTITY, Some("cases[0].id")),
        ("cases for unknown bench", "/api/benches/nope/cases".into(), json!({"cases": [{"id": "a"}]}), StatusCode::NOT_FOUND, None),
        ("broken JSON", results.clone(), Value::Null, StatusCode::BAD_REQUEST, None),
    ];
    for (what, path, body, status, field) in bad {
        let method = if path.starts_with("/api/benches/") || path.contains("/channels/") { Method::PUT } else { Method::POST };
        let raw = if what == "broken JSON" { b"{\"results\": [".to_vec() } else { body.to_string().into_bytes() };
        let (s, e) = t.send(method, &path, Some(&t.write), Some(raw)).await;
        assert_eq!(s, status, "{what}: {e}");
        assert!(e["error"]["code"].is_string() && e["error"]["message"].is_string(), "{what}: {e}");
        if let Some(f) = field {
            let got = e["error"]["field"].as_str().unwrap_or_default();
            assert!(got.starts_with(f), "{what}: field {got:?}, want {f:?}");
        }
        assert_eq!(t.table_counts().await, before, "{what} wrote something");
        assert_eq!(t.run_json(id).await, run_before, "{what} changed the run");
    }
}

async fn a_bad_result_at_the_end_of_a_batch_writes_nothing(t: TestApp) {
    let ids: Vec<String> = (0..500).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    t.seed_bench("atomic", &refs).await;
    let id = t.trigger("atomic", "production").await;
    let before = t.table_counts().await;
    let mut results: Vec<Value> = ids
        .iter()
        .map(|c| json!({"case_id": c, "status": "ok", "headline_score": 0.7, "dimension_scores": {"a": 0.5}, "trace": {"steps": [{"index": 0}]}}))
        .collect();
    results[499]["headline_score"] = json!(7.0);
    let (s, e) = t.post(&format!("/api/runs/{id}/results"), json!({"results": results})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "results[499].headline_score");
    assert_eq!(t.table_counts().await, before);
    let (_, run) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(run["status"], "pending");
    assert_eq!(run["results_count"], 0);
}

async fn tokens_and_scopes(t: TestApp) {
    t.seed_bench("auth", &["a"]).await;
    let body = json!({"bench": "auth", "channel": "production"}).to_string().into_bytes();
    let (s, e) = t.send(Method::POST, "/api/runs", None, Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(e["error"]["code"], "unauthorized");
    let (s, _) = t.send(Method::POST, "/api/runs", Some("assay_not_a_token"), Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = t.send(Method::POST, "/api/runs", Some(&t.read), Some(body.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, run) = t.send(Method::POST, "/api/runs", Some(&t.admin), Some(body.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "admin can write");
    let id = run["id"].as_i64().unwrap();
    let (s, _) = t.send(Method::DELETE, &format!("/api/runs/{id}"), Some(&t.write), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "delete needs admin");
    // Reads are open by default.
    let (s, _) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    // A revoked token stops working.
    let (_, secret) = t.store.create_token("temp", assay::server::store::Scope::Write).await.unwrap();
    let (s, _) = t.send(Method::POST, "/api/runs", Some(&secret), Some(body.clone())).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(t.store.revoke_token("temp").await.unwrap(), 1);
    let (s, _) = t.send(Method::POST, "/api/runs", Some(&secret), Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Tokens are stored hashed.
    let stored: Vec<(String,)> = t.db.all("SELECT token_hash FROM api_tokens", vec![]).await.unwrap();
    assert!(stored.iter().all(|(h,)| h.len() == 64 && !h.starts_with("assay_")));
    assert!(t.store.list_tokens().await.unwrap().iter().any(|k| k.name == "temp" && k.revoked_at.is_some()));

    // With --auth required, reads need a token too.
    let strict = TestApp::with_auth(t.kind(), assay::server::config::AuthMode::Required).await.unwrap();
    let (s, _) = strict.get("/api/runs/1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = strict.send(Method::GET, "/api/runs/1", Some(&strict.read), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "authenticated, and there is no run 1");
}

async fn publishing_the_same_content_returns_the_existing_version(t: TestApp) {
    let body = json!({"source": "def f(): return 1", "language": "python", "model": "m1", "temperature": 0.2, "config": {"b": 1, "a": [1, 2]}});
    let (s, v1) = t.post("/api/scripts/workflow/bot/versions", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["content_hash"].as_str().unwrap().len(), 64);
    // Same content, keys in another order, another label: the same version.
    let (s, again) = t
        .post("/api/scripts/workflow/bot/versions", json!({"source": "def f(): return 1", "label": "relabel", "temperature": 0.2, "model": "m1", "config": {"a": [1, 2], "b": 1}}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["id"], v1["id"]);
    // A change of model alone is a new version.
    let (s, v2) = t.post("/api/scripts/workflow/bot/versions", json!({"source": "def f(): return 1", "model": "m2", "temperature": 0.2, "config": {"b": 1, "a": [1, 2]}})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v2["number"], 2);
    // The same name under the other kind is another script.
    let (s, j) = t.post("/api/scripts/judge/bot/versions", json!({"source": "x"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(j["number"], 1);
    let (s, got) = t.get("/api/scripts/workflow/bot/versions/1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["source"], "def f(): return 1");
    assert_eq!(got["config"], json!({"a": [1, 2], "b": 1}));
    let (s, _) = t.get("/api/scripts/workflow/bot/versions/3").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn channels_keep_their_publish_history(t: TestApp) {
    t.post("/api/scripts/workflow/bot/versions", json!({"source": "v1", "channels": ["production"], "published_by": "ana"})).await;
    t.post("/api/scripts/workflow/bot/versions", json!({"source": "v2", "channels": ["staging"], "published_by": "ben"})).await;
    let (s, ch) = t.put("/api/scripts/workflow/bot/channels/production", json!({"version": 2, "published_by": "cat"})).await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    assert_eq!(ch["version_number"], 2);
    let history: Vec<(i64, String)> = ch["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["version_number"].as_i64().unwrap(), h["published_by"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(history, vec![(2, "cat".to_string()), (1, "ana".to_string())], "newest first");
    // Moving back is a move too; re-pointing at the current version is not.
    let (_, ch) = t.put("/api/scripts/workflow/bot/channels/production", json!({"version": 1})).await;
    assert_eq!(ch["history"].as_array().unwrap().len(), 3);
    let (_, ch) = t.put("/api/scripts/workflow/bot/channels/production", json!({"version": 1})).await;
    assert_eq!(ch["history"].as_array().unwrap().len(), 3);
    let (s, got) = t.get("/api/scripts/workflow/bot/channels/production").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["version_number"], 1);
    let (_, v2) = t.get("/api/scripts/workflow/bot/versions/2").await;
    assert_eq!(v2["channels"], json!(["staging"]));
    let (s, e) = t.put("/api/scripts/workflow/nobody/channels/production", json!({"version": 1})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
}

async fn case_upserts_count_and_frozen_cases_refuse_changes(t: TestApp) {
    t.seed_bench("cases", &[]).await;
    let (s, c) = t
        .put("/api/benches/cases/cases", json!({"cases": [
            {"id": "a", "name": "A", "inputs": {"x": 1, "y": 2}, "expected_output": "yes", "tags": ["smoke", "billing"]},
            {"id": "b", "inputs": {"x": 2}, "frozen": true, "expected_output": {"ok": true}}
        ]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c, json!({"created": 2, "updated": 0, "unchanged": 0}));
    let (_, c) = t
        .put("/api/benches/cases/cases", json!({"cases": [
            {"id": "a", "name": "A", "inputs": {"y": 2, "x": 1}, "expected_output": "yes", "tags": ["billing", "smoke"]},
            {"id": "b", "inputs": {"x": 2}, "expected_output": {"ok": true}, "tags": ["new-tag"]},
            {"id": "c"}
        ]}))
        .await;
    assert_eq!(c, json!({"created": 1, "updated": 1, "unchanged": 1}), "key order and tag order are not changes");
    let before = t.table_counts().await;
    let (s, e) = t
        .put("/api/benches/cases/cases", json!({"cases": [{"id": "c", "name": "renamed"}, {"id": "b", "inputs": {"x": 3}, "expected_output": {"ok": true}}]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "frozen_case");
    assert_eq!(e["error"]["field"], "cases[1]");
    assert_eq!(t.table_counts().await, before, "nothing of the refused batch was written");
    let (s, _) = t.put("/api/benches/cases/cases", json!({"cases": [{"id": "b", "inputs": {"x": 2}, "expected_output": {"ok": false}}]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "expected output of a frozen case is frozen too");
    let (s, e) = t.put("/api/benches/cases/cases", json!({"cases": [{"id": "a"}, {"id": "a"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "cases[1].id");
    let (_, bench) = t.get("/api/benches/cases").await;
    assert_eq!(bench["case_count"], 3);
    let tags: Vec<(String, String)> = t.db.all("SELECT case_id, tag FROM case_tags ORDER BY case_id, tag", vec![]).await.unwrap();
    assert_eq!(
        tags,
        vec![("a".into(), "billing".into()), ("a".into(), "smoke".into()), ("b".into(), "new-tag".into())]
    );
    let (hash,): (String,) = t.db.one("SELECT input_hash FROM cases WHERE case_id = 'a'", vec![]).await.unwrap();
    // sha256 of the canonical JSON {"x":1,"y":2}
    assert_eq!(hash, assay::server::hash::sha256_hex(br#"{"x":1,"y":2}"#));
}

fn bundle(bench: &str) -> Value {
    json!({
        "bench": {"name": bench, "description": "imported", "score_max": 100, "pass_threshold": 70},
        "cases": [{"id": "q1", "name": "First", "inputs": {"q": 1}}, {"id": "q2", "inputs": {"q": 2}}, {"id": "q3"}],
        "workflow": {"name": "agent", "source": "agent v1", "model": "gpt-x"},
        "judge": {"name": "grader", "source": "grade()"},
        "run": {"channel": "nightly", "triggered_by": "importer", "triggered_at": "2026-11-01T10:00:00.000Z",
                "completed_at": "2026-11-01T10:05:00.500Z", "metadata": {"git_sha": "abc123", "branch": "main"}},
        "results": [
            {"case_id": "q1", "status": "ok", "headline_score": 90, "cost_usd": 0.1},
            {"case_id": "q2", "status": "ok", "headline_score": 40, "cost_usd": 0.2},
            {"case_id": "q3", "status": "judge_failed", "error": "judge crashed"}
        ]
    })
}

async fn import_creates_a_finished_run_in_one_go(t: TestApp) {
    let (s, run) = t.post("/api/import", bundle("imported")).await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["triggered_at"], "2026-11-01T10:00:00.000Z");
    assert_eq!(run["completed_at"], "2026-11-01T10:05:00.500Z");
    assert_eq!(run["channel"], "nightly");
    assert_eq!(run["score_max"], 100.0);
    assert_eq!(run["passed"], 1);
    assert_eq!(run["failed"], 1);
    assert_eq!(run["inconclusive"], 1);
    assert!(approx(&run["mean_headline_score"], 65.0));
    assert!(approx(&run["total_cost_usd"], 0.3));
    assert_eq!(run["metadata"]["git_sha"], "abc123");
    assert_eq!(run["model"], "gpt-x", "defaults to the workflow version's model");
    // Importing the same scripts again reuses their versions; an existing version may be named.
    let mut again = bundle("imported");
    again["workflow"] = json!({"name": "agent", "version": 1});
    again["results"] = json!([{"case_id": "q1", "status": "ok", "headline_score": 100}]);
    let (s, run2) = t.post("/api/import", again).await;
    assert_eq!(s, StatusCode::CREATED, "{run2}");
    assert_eq!(run2["workflow_version_id"], run["workflow_version_id"]);
    assert_eq!(run2["missing"], 2);
    let (_, q1) = t.get(&format!("/api/runs/{}/results/q1", run["id"])).await;
    assert_eq!(q1["case_name"], "First");
    assert_eq!(q1["verdict"], "pass");
}

async fn refused_import_writes_nothing(t: TestApp) {
    let before = t.table_counts().await;
    let mut b = bundle("broken");
    b["results"][2]["headline_score"] = json!(101);
    b["results"][2]["status"] = json!("ok");
    let (s, e) = t.post("/api/import", b).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "results[2].headline_score");
    assert_eq!(t.table_counts().await, before, "scripts, bench, cases and run all rolled back");
    let mut b = bundle("broken");
    b["workflow"] = json!({"name": "agent", "version": 7});
    let (s, e) = t.post("/api/import", b).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no workflow script agent to take version 7 of");
    assert_eq!(e["error"]["field"], "workflow.name");
    let mut b = bundle("broken");
    b["run"]["status"] = json!("running");
    let (s, e) = t.post("/api/import", b).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "run.status");
    assert_eq!(t.table_counts().await, before);
}

async fn delete_needs_admin_and_removes_everything_under_the_run(t: TestApp) {
    t.seed_bench("del", &["a", "b"]).await;
    let keep = t.trigger("del", "production").await;
    let id = t.trigger("del", "production").await;
    let full = json!({"results": [
        {"case_id": "a", "status": "ok", "headline_score": 1, "output": "x", "dimension_scores": {"d": 1},
         "scorer_results": [{"scorer_name": "s", "score": 1}], "trace": {"steps": [{"index": 0}], "tool_calls": [{"tool_name": "t"}]}}
    ]});
    t.post(&format!("/api/runs/{keep}/results"), full.clone()).await;
    let one_run = t.table_counts().await;
    t.post(&format!("/api/runs/{id}/results"), full).await;
    let (s, _) = t.send(Method::DELETE, &format!("/api/runs/{id}"), Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let after = t.table_counts().await;
    for ((name, n), (_, m)) in after.iter().zip(one_run.iter()) {
        if name == "runs" {
            assert_eq!(*n, m - 1, "the deleted run is gone, `keep` stays");
        } else {
            assert_eq!(n, m, "{name} rows under the deleted run remain");
        }
    }
    let (s, _) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.send(Method::DELETE, &format!("/api/runs/{id}"), Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.get(&format!("/api/runs/{keep}/results/a")).await;
    assert_eq!(s, StatusCode::OK);
}

async fn results_whole_with_trace_and_odd_case_ids(t: TestApp) {
    let odd = ["refund/17", "with space", "naïve-ü-日本", "100%"];
    t.seed_bench("odd", &odd).await;
    let id = t.trigger("odd", "production").await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let steps: Vec<Value> = (0..50)
        .map(|i| json!({"index": i, "type": if i % 2 == 0 {"llm"} else {"tool"}, "name": format!("step {i}"), "output": evil, "tokens_used": i, "duration_ms": 10 * i}))
        .collect();
    let results: Vec<Value> = odd
        .iter()
        .map(|c| json!({"case_id": c, "status": "ok", "headline_score": 0.75, "output": {"answer": evil}, "score": {"rubric": "B+"},
             "scorer_results": [{"scorer_name": "llm", "score": 0.75, "passed": true, "reason": evil, "dimension": "accuracy", "details": {"k": [1]}}],
             "trace": {"steps": steps, "tool_calls": [{"step_index": 1, "tool_name": "lookup", "arguments": {"id": 17}, "result": "found", "duration_ms": 45}]}}))
        .collect();
    let (s, c) = t.post(&format!("/api/runs/{id}/results"), json!({"results": results})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    for c in odd {
        let enc: String = c.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
        let (s, r) = t.get(&format!("/api/runs/{id}/results/{enc}")).await;
        assert_eq!(s, StatusCode::OK, "{c} as {enc}");
        assert_eq!(r["case_id"], c);
        assert_eq!(r["case_name"], format!("Case {c}"));
        assert_eq!(r["workflow_output"], json!({"answer": evil}), "stored as given, never altered");
        assert_eq!(r["score"], json!({"rubric": "B+"}));
        assert_eq!(r["scorer_results"][0]["reason"], evil);
        assert_eq!(r["scorer_results"][0]["details"], json!({"k": [1]}));
        assert_eq!(r["trace"]["steps"].as_array().unwrap().len(), 50);
        assert_eq!(r["trace"]["steps"][7]["name"], "step 7");
        assert_eq!(r["trace"]["steps"][7]["type"], "tool");
        assert_eq!(r["trace"]["tool_calls"][0]["arguments"], r#"{"id":17}"#);
        assert_eq!(r["input_hash"], assay::server::hash::input_hash(Some(&json!({"q": c}))));
        assert!(r["created_at"].as_str().unwrap().ends_with('Z'));
    }
    let (preview,): (Option<String>,) = t.db.one("SELECT output_preview FROM results LIMIT 1", vec![]).await.unwrap();
    assert!(preview.unwrap().contains("answer"));
}

async fn body_limits(t: TestApp) {
    t.seed_bench("big", &["a"]).await;
    let id = t.trigger("big", "production").await;
    // 3 MB is over the small limit of ordinary routes…
    let big_notes = "x".repeat(3 * 1024 * 1024);
    let (s, e) = t
        .send(Method::POST, "/api/runs", Some(&t.write), Some(json!({"bench": "big", "channel": "production", "notes": big_notes}).to_string().into_bytes()))
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "too_large");
    // …but a results batch of that size goes in.
    let big_output = "y".repeat(3 * 1024 * 1024);
    let (s, c) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "a", "status": "ok", "output": big_output}]})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // Over 64 MB is refused.
    let huge = vec![b' '; 65 * 1024 * 1024];
    let (s, _) = t.send(Method::POST, &format!("/api/runs/{id}/results"), Some(&t.write), Some(huge)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn eight_concurrent_writers_all_land(t: TestApp) {
    let ids: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    t.seed_bench("conc", &refs).await;
    let shared = t.trigger("conc", "production").await;
    let t = std::sync::Arc::new(t);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let t = t.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            // Each writer triggers its own run, and all of them write into the shared one.
            let own = t.trigger("conc", "production").await;
            for batch in 0..5 {
                let mine: Vec<Value> = ids
                    .iter()
                    .skip(w * 25 + batch * 5)
                    .take(5)
                    .map(|c| json!({"case_id": c, "status": "ok", "headline_score": 0.5, "cost_usd": 0.25, "dimension_scores": {"d": 1}}))
                    .collect();
                for run in [own, shared] {
                    let (s, e) = t.post(&format!("/api/runs/{run}/results"), json!({"results": mine})).await;
                    assert_eq!(s, StatusCode::OK, "writer {w} batch {batch}: {e}");
                }
            }
            let (s, e) = t.post(&format!("/api/runs/{own}/complete"), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{e}");
            own
        }));
    }
    for task in tasks {
        let own = task.await.unwrap();
        let (_, r) = t.get(&format!("/api/runs/{own}")).await;
        assert_eq!(r["results_count"], 25);
    }
    let (_, r) = t.get(&format!("/api/runs/{shared}")).await;
    assert_eq!(r["results_count"], 200);
    assert!(approx(&r["total_cost_usd"], 50.0));
    assert_eq!(r["missing"], 0);
    assert_eq!(r["dimension_scores"]["d"], 1.0);
}
