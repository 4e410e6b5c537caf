//! The read API and the seed's protocol, on SQLite and on PostgreSQL. The seed's protocol is
//! checked with the published `akribes-sdk` client over a real socket.

mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::{approx, TestApp};
use serde_json::{json, Value};

on_both_backends!(
    runs_list_filters_and_pages_newest_first,
    run_pages_have_no_gaps_or_repeats_while_runs_arrive,
    results_list_filters_sorts_and_pages,
    stats_use_sentinel_names_and_percentiles,
    benches_show_the_latest_run_per_channel,
    seed_routes_stream_every_result,
    akribes_sdk_reads_what_the_api_serves,
);

async fn push(t: &TestApp, run: i64, results: Value) {
    let (s, e) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": results })).await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

async fn runs_list_filters_and_pages_newest_first(t: TestApp) {
    t.seed_bench("alpha", &["a"]).await;
    t.seed_bench("beta", &["a"]).await;
    let mut ids = Vec::new();
    for (i, (bench, channel)) in [("alpha", "production"), ("alpha", "canary"), ("beta", "production"), ("alpha", "production")]
        .into_iter()
        .enumerate()
    {
        let (s, r) = t
            .post("/api/runs", json!({"bench": bench, "channel": channel, "triggered_by": if i % 2 == 0 {"ci"} else {"ana"},
                "notes": format!("note {i}"), "metadata": {"git_sha": format!("sha{i}"), "pr": i, "branch": "main"}}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        ids.push(r["id"].as_i64().unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    t.post(&format!("/api/runs/{}/complete", ids[0]), json!({})).await;
    let list = |q: &str| {
        let q = q.to_string();
        let t = &t;
        async move {
            let (s, page) = t.get(&format!("/api/runs?{q}")).await;
            assert_eq!(s, StatusCode::OK, "{q}: {page}");
            page["runs"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await, vec![ids[3], ids[2], ids[1], ids[0]], "newest first");
    assert_eq!(list("bench=alpha").await, vec![ids[3], ids[1], ids[0]]);
    assert_eq!(list("bench=alpha&channel=production").await, vec![ids[3], ids[0]]);
    assert_eq!(list("status=completed").await, vec![ids[0]]);
    assert_eq!(list("status=pending,completed").await.len(), 4);
    assert_eq!(list("triggered_by=ana").await, vec![ids[3], ids[1]]);
    assert_eq!(list("meta.git_sha=sha2").await, vec![ids[2]]);
    assert_eq!(list("meta.pr=1").await, vec![ids[1]], "numbers match their text");
    assert_eq!(list("meta.branch=main&bench=beta").await, vec![ids[2]]);
    assert_eq!(list("meta.nothing=x").await, Vec::<i64>::new());
    assert_eq!(list("q=NOTE%203").await, vec![ids[3]], "text search is case-insensitive");
    assert_eq!(list("q=100%25").await, Vec::<i64>::new(), "a % in the search is literal");
    assert_eq!(list("bench=nope").await, Vec::<i64>::new());
    let (_, page) = t.get("/api/runs?limit=1").await;
    assert!(page["runs"][0]["mean_headline_score"].is_null());
    assert_eq!(page["runs"][0]["bench_name"], "alpha");
    for (q, field) in [("status=bogus", "status"), ("limit=0", "limit"), ("limit=x", "limit"), ("cursor=nothex", "cursor")] {
        let (s, e) = t.get(&format!("/api/runs?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_eq!(e["error"]["field"], field);
    }
}

async fn run_pages_have_no_gaps_or_repeats_while_runs_arrive(t: TestApp) {
    t.seed_bench("paging", &["a"]).await;
    let mut before = Vec::new();
    for _ in 0..23 {
        before.push(t.trigger("paging", "production").await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = Vec::new();
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/runs?limit=5&cursor={c}"),
            None => "/api/runs?limit=5".to_string(),
        };
        let (s, page) = t.get(&q).await;
        assert_eq!(s, StatusCode::OK);
        seen.extend(page["runs"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
        // New runs arrive between page fetches.
        added.push(t.trigger("paging", "production").await);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no run twice");
    let mut want = before.clone();
    want.reverse();
    assert_eq!(seen, want, "every run that existed when paging began, in order, none missing");
    let (_, first) = t.get("/api/runs?limit=1").await;
    assert_eq!(first["runs"][0]["id"].as_i64().unwrap(), *added.last().unwrap());
}

async fn results_list_filters_sorts_and_pages(t: TestApp) {
    let cases: Vec<String> = (0..40).map(|i| format!("case-{i:02}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("res", &refs).await;
    let (s, _) = t
        .put("/api/benches/res/cases", json!({"cases": [{"id": "case-03", "name": "Case case-03", "inputs": {"q": "case-03"}, "tags": ["billing"]},
                                                         {"id": "case-07", "name": "Case case-07", "inputs": {"q": "case-07"}, "tags": ["billing", "smoke"]}]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = t.trigger("res", "production").await;
    let results: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let status = match i % 10 {
                8 => "workflow_failed",
                9 => "skipped",
                _ => "ok",
            };
            json!({"case_id": c, "status": status,
                   "headline_score": if status == "ok" && i % 7 != 0 { Some((i % 11) as f64 / 10.0) } else { None },
                   "duration_ms": if i % 5 == 0 { None } else { Some((i * 37) % 1000) },
                   "cost_usd": (i % 4) as f64 * 0.01,
                   "error": if status == "workflow_failed" { Some(format!("Timeout in {c}")) } else { None },
                   "output": format!("Answer for {c}: 100% sure")})
        })
        .collect();
    push(&t, id, json!(results)).await;

    let all = |q: String| {
        let t = &t;
        async move {
            let mut out = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let url = match &cursor {
                    Some(c) => format!("/api/runs/{id}/results?{q}&limit=7&cursor={c}"),
                    None => format!("/api/runs/{id}/results?{q}&limit=7"),
                };
                let (s, page) = t.get(&url).await;
                assert_eq!(s, StatusCode::OK, "{url}: {page}");
                for r in page["results"].as_array().unwrap() {
                    assert!(r.get("trace").is_none(), "list rows carry no trace");
                    out.push(r.clone());
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => return out,
                }
            }
        }
    };
    let ids_of = |rows: &[Value]| rows.iter().map(|r| r["case_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    let by_case = all(String::new()).await;
    assert_eq!(ids_of(&by_case), cases, "default order is by case id, every row once");
    assert!(by_case[1]["output_preview"].as_str().unwrap().starts_with("Answer for case-01"));

    let key = |r: &Value, f: &str| r[f].as_f64().unwrap_or(-1.0);
    for (sort, field, desc) in [("score", "headline_score", false), ("-score", "headline_score", true), ("latency", "duration_ms", false),
                                ("-latency", "duration_ms", true), ("cost", "cost_usd", false), ("-cost", "cost_usd", true)] {
        let rows = all(format!("sort={sort}")).await;
        assert_eq!(rows.len(), 40, "{sort}");
        let unique: HashSet<String> = ids_of(&rows).into_iter().collect();
        assert_eq!(unique.len(), 40, "{sort}: no row twice");
        for w in rows.windows(2) {
            let (a, b) = (key(&w[0], field), key(&w[1], field));
            assert!(if desc { a >= b } else { a <= b }, "{sort}: {a} then {b}");
        }
    }
    let failed = all("status=workflow_failed".into()).await;
    assert_eq!(ids_of(&failed), vec!["case-08", "case-18", "case-28", "case-38"]);
    assert_eq!(all("status=skipped,workflow_failed".into()).await.len(), 8);
    assert_eq!(all("verdict=none".into()).await.len(), 4, "skipped results have no verdict");
    let errors = all("verdict=error".into()).await;
    assert!(errors.iter().all(|r| r["verdict"] == "error"));
    assert_eq!(errors.len(), 4 + 5, "4 failed workflows plus the ok rows without a score: 0, 7, 14, 21, 35");
    let passes = all("verdict=pass".into()).await;
    assert!(passes.iter().all(|r| r["headline_score"].as_f64().unwrap() >= 0.5));
    assert_eq!(ids_of(&all("tag=billing".into()).await), vec!["case-03", "case-07"]);
    assert_eq!(ids_of(&all("tag=smoke".into()).await), vec!["case-07"]);
    assert_eq!(ids_of(&all("q=timeout%20in%20case-18".into()).await), vec!["case-18"], "searches errors, case-insensitively");
    assert_eq!(all("q=100%25%20sure".into()).await.len(), 40, "searches outputs; % is literal");
    assert_eq!(all("q=1000%25".into()).await.len(), 0);
    assert_eq!(ids_of(&all("q=case-2&status=skipped".into()).await), vec!["case-29"]);
    assert_eq!(ids_of(&all("q=Case%20case-07".into()).await), vec!["case-07"], "searches case names");

    for (q, field) in [("sort=height", "sort"), ("verdict=maybe", "verdict"), ("status=passed", "status"), ("limit=100000", "limit")] {
        let (s, e) = t.get(&format!("/api/runs/{id}/results?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_eq!(e["error"]["field"], field);
    }
    // A cursor from one order does not work in another.
    let (_, page) = t.get(&format!("/api/runs/{id}/results?sort=score&limit=3")).await;
    let c = page["next_cursor"].as_str().unwrap();
    let (s, _) = t.get(&format!("/api/runs/{id}/results?limit=3&cursor={c}")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = t.get("/api/runs/987654/results").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn stats_use_sentinel_names_and_percentiles(t: TestApp) {
    let cases: Vec<String> = (1..=21).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("stats", &refs).await;
    let id = t.trigger("stats", "production").await;
    // Latencies 10, 20, …, 200 for c1..c20; c21 has none.
    let mut results: Vec<Value> = (1..=20)
        .map(|i| json!({"case_id": format!("c{i}"), "status": "ok", "headline_score": if i <= 15 {0.9} else {0.1}, "duration_ms": i * 10,
                        "input_tokens": 10, "cost_usd": 0.5, "dimension_scores": {"acc": if i % 2 == 0 {1.0} else {0.0}}}))
        .collect();
    results.push(json!({"case_id": "c21", "status": "skipped"}));
    push(&t, id, json!(results)).await;
    let (s, st) = t.get(&format!("/api/runs/{id}/stats")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(st["total_cases"], 21);
    assert_eq!(st["passed"], 15);
    assert_eq!(st["failed"], 5);
    assert_eq!(st["errored"], 0);
    assert_eq!(st["skipped"], 1);
    assert_eq!(st["missing"], 0);
    assert!(approx(&st["pass_rate"], 0.75));
    assert!(approx(&st["avg_score"], (15.0 * 0.9 + 5.0 * 0.1) / 20.0));
    assert!(approx(&st["avg_latency_ms"], 105.0));
    assert_eq!(st["p50_latency_ms"], 100, "nearest rank: the 10th of 20");
    assert_eq!(st["p95_latency_ms"], 190, "the 19th of 20");
    assert_eq!(st["total_tokens"], 200);
    assert!(approx(&st["total_cost"], 10.0));
    assert!(approx(&st["dimension_scores"]["acc"], 0.5));
    assert_eq!(st["status_breakdown"], json!({"ok": 20, "skipped": 1}));
    let empty = t.trigger("stats", "production").await;
    let (_, st) = t.get(&format!("/api/runs/{empty}/stats")).await;
    assert!(st["p50_latency_ms"].is_null());
    assert!(st["pass_rate"].is_null());
    // Finishing computes the figures once: the same percentiles and histogram as the live count,
    // read afterwards without touching a result row (proved by removing the rows behind the
    // store's back).
    let live_hist = t.store.run_histogram(id).await.unwrap();
    assert_eq!(live_hist.iter().sum::<u64>(), 20);
    assert_eq!(live_hist[18], 15, "0.9 falls in the 19th of 20 bins");
    let (s, _) = t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (n,) = t.db.one::<(i64,)>("SELECT COUNT(*) FROM run_figures WHERE run_id = $1", vec![id.into()]).await.unwrap();
    assert_eq!(n, 1, "figures stored at finish");
    t.db.all::<(i64,)>("DELETE FROM results WHERE run_id = $1 RETURNING id", vec![id.into()]).await.unwrap();
    let (_, after) = t.get(&format!("/api/runs/{id}/stats")).await;
    assert_eq!(after["p50_latency_ms"], 100);
    assert_eq!(after["p95_latency_ms"], 190);
    assert_eq!(t.store.run_histogram(id).await.unwrap(), live_hist);
}

async fn benches_show_the_latest_run_per_channel(t: TestApp) {
    t.seed_bench("ov", &["a", "b"]).await;
    let old = t.trigger("ov", "production").await;
    push(&t, old, json!([{"case_id": "a", "status": "ok", "headline_score": 0.2}])).await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let newer = t.trigger("ov", "production").await;
    push(&t, newer, json!([{"case_id": "a", "status": "ok", "headline_score": 0.9, "cost_usd": 0.3}])).await;
    t.post(&format!("/api/runs/{newer}/complete"), json!({})).await;
    let canary = t.trigger("ov", "canary").await;
    let (s, list) = t.get("/api/benches").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let b = &list[0];
    assert_eq!(b["name"], "ov");
    assert_eq!(b["case_count"], 2);
    assert_eq!(b["run_count"], 3);
    let latest: Vec<(String, i64)> = b["latest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["channel"].as_str().unwrap().to_string(), l["run_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(latest, vec![("canary".to_string(), canary), ("production".to_string(), newer)]);
    let prod = &b["latest"][1];
    assert_eq!(prod["status"], "completed");
    assert!(approx(&prod["mean_headline_score"], 0.9));
    assert!(approx(&prod["pass_rate"], 1.0));
    assert!(approx(&prod["total_cost_usd"], 0.3));
    let (s, one) = t.get("/api/benches/ov").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one, *b);
    let (s, _) = t.get("/api/benches/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn seed_routes_stream_every_result(t: TestApp) {
    let cases: Vec<String> = (0..2_500).map(|i| format!("c{i:04}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("seed", &refs).await;
    let id = t.trigger("seed", "production").await;
    let results: Vec<Value> = cases
        .iter()
        .map(|c| json!({"case_id": c, "status": "ok", "headline_score": 0.5, "workflow_cost_usd": 0.001, "output": {"text": c}}))
        .collect();
    push(&t, id, json!(results)).await;
    let (s, all) = t.get(&format!("/bench-runs/{id}/results")).await;
    assert_eq!(s, StatusCode::OK);
    let all = all.as_array().expect("a JSON array");
    assert_eq!(all.len(), 2_500, "every result, across stream pages");
    let ids: HashSet<&str> = all.iter().map(|r| r["case_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2_500);
    let r = &all[1234];
    assert_eq!(r["bench_run_id"], id);
    assert_eq!(r["workflow_output"]["text"], r["case_id"]);
    assert!(approx(&r["cost_usd"], 0.001));
    let (s, empty) = t.get(&format!("/bench-runs/{}/results", t.trigger("seed", "production").await)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(empty, json!([]));
    let (s, run) = t.get(&format!("/bench-runs/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(run["total_cases"], 2_500);
    let (s, _) = t.get("/bench-runs/777777").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.get("/bench-runs/777777/results").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, c) = t.post(&format!("/bench-runs/{id}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["status"], "canceled");
}

async fn akribes_sdk_reads_what_the_api_serves(t: TestApp) {
    t.seed_bench("sdk", &["a", "b", "c"]).await;
    let id = t.trigger("sdk", "production").await;
    push(&t, id, json!([
        {"case_id": "a", "status": "ok", "headline_score": 0.8, "workflow_cost_usd": 0.002, "judge_cost_usd": 0.001, "duration_ms": 1200,
         "cache_hit": false, "workflow_execution_id": "exec-1", "judge_execution_id": "exec-2", "output": "Your refund is on its way.", "score": {"rubric": "B+"}},
        {"case_id": "b", "status": "cached", "headline_score": 0.3, "cache_hit": true},
        {"case_id": "c", "status": "workflow_failed", "error": "timeout"}
    ]))
    .await;
    t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
    let base = t.serve().await;
    let client = akribes_sdk::AkribesClient::builder(base).token(t.write.clone()).build();
    let runs = client.bench_runs();

    let run = runs.get(id).await.expect("get").expect("found");
    let (_, api) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(run.id, api["id"].as_i64().unwrap());
    assert_eq!(run.bench_id, api["bench_id"].as_i64().unwrap());
    assert_eq!(run.channel, api["channel"]);
    assert_eq!(run.workflow_version_id, api["workflow_version_id"].as_i64().unwrap());
    assert_eq!(run.judge_version_id, api["judge_version_id"].as_i64().unwrap());
    assert_eq!(run.status, "completed");
    assert_eq!(run.triggered_at, api["triggered_at"]);
    assert_eq!(run.completed_at.as_deref(), api["completed_at"].as_str());
    assert!((run.total_cost_usd - api["total_cost_usd"].as_f64().unwrap()).abs() < 1e-12);
    assert_eq!(run.total_cases as i64, api["total_cases"].as_i64().unwrap());
    assert_eq!(run.cache_hit_cases as i64, 1);
    assert_eq!(run.mode, "full");
    assert_eq!(run.mean_headline_score, api["mean_headline_score"].as_f64());
    assert_eq!(run.ok_cases, Some(2));
    assert_eq!(run.passed, Some(1));
    assert_eq!(run.failed, Some(1));
    assert_eq!(run.inconclusive, Some(1));
    assert_eq!(run.pass_threshold, Some(0.5));
    assert_eq!(run.judge_script_name.as_deref(), Some("jd"));
    let breakdown = run.status_breakdown.clone().unwrap();
    assert_eq!(breakdown.get("workflow_failed"), Some(&1));
    assert!(runs.get(424242).await.unwrap().is_none(), "404 decodes as None");

    let results = runs.list_results(id).await.expect("list_results");
    assert_eq!(results.len(), 3);
    let a = results.iter().find(|r| r.case_id == "a").unwrap();
    let (_, api_a) = t.get(&format!("/api/runs/{id}/results/a")).await;
    assert_eq!(a.id, api_a["id"].as_i64().unwrap());
    assert_eq!(a.bench_run_id, id);
    assert_eq!(a.status, "ok");
    assert_eq!(a.verdict.as_deref(), Some("pass"));
    assert_eq!(a.headline_score, Some(0.8));
    assert!((a.cost_usd - 0.003).abs() < 1e-12);
    assert_eq!(a.workflow_cost_usd, Some(0.002));
    assert_eq!(a.judge_cost_usd, Some(0.001));
    assert_eq!(a.duration_ms, Some(1200));
    assert_eq!(a.workflow_execution_id.as_deref(), Some("exec-1"));
    assert_eq!(a.judge_execution_id.as_deref(), Some("exec-2"));
    assert_eq!(a.score, Some(json!({"rubric": "B+"})));
    assert_eq!(a.workflow_output, Some(json!("Your refund is on its way.")));
    assert_eq!(a.input_hash.as_deref(), api_a["input_hash"].as_str());
    assert_eq!(a.created_at, api_a["created_at"]);
    assert_eq!(a.case_name.as_deref(), Some("Case a"));
    let b = results.iter().find(|r| r.case_id == "b").unwrap();
    assert!(b.cache_hit);
    let c = results.iter().find(|r| r.case_id == "c").unwrap();
    assert_eq!(c.error.as_deref(), Some("timeout"));
    assert_eq!(c.verdict.as_deref(), Some("error"));

    let other = t.trigger("sdk", "production").await;
    let canceled = runs.cancel(other).await.expect("cancel");
    assert_eq!(canceled.status, "canceled");
}
