//! The reads only the pages make (histograms, case pages, traces, case history, trends, case
//! lists, channels), on SQLite and on PostgreSQL.

mod common;

use axum::http::StatusCode;
use assay::server::store::StoreError;
use common::TestApp;
use serde_json::{json, Value};

on_both_backends!(
    score_histogram_bins_by_the_runs_scale,
    trace_pages_carry_their_calls_and_clip_texts,
    result_texts_come_whole,
    case_history_spans_the_benchs_runs_with_epochs_averaged,
    bench_trend_lists_completed_runs_oldest_first,
    cases_page_by_id_and_filter_by_tag,
    channels_come_with_their_history,
);

async fn push(t: &TestApp, run: i64, results: Value) {
    let (s, e) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": results })).await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

async fn score_histogram_bins_by_the_runs_scale(t: TestApp) {
    t.seed_bench("h", &["a", "b", "c", "d", "e", "f"]).await;
    let run = t.trigger("h", "production").await;
    push(&t, run, json!([
        {"case_id": "a", "status": "ok", "headline_score": 0.0},
        {"case_id": "b", "status": "ok", "headline_score": 0.24},
        {"case_id": "c", "status": "ok", "headline_score": 0.25},
        {"case_id": "d", "status": "cached", "headline_score": 0.99},
        {"case_id": "e", "status": "ok", "headline_score": 1.0},
        {"case_id": "f", "status": "workflow_failed"},
    ]))
    .await;
    // Four bins of 0.25: [0,.25) [.25,.5) [.5,.75) [.75,1]; the maximum falls in the last.
    assert_eq!(t.store.score_histogram(run, 1.0, 4).await.unwrap(), vec![2, 1, 0, 2]);
    // On a 0–10 scale the same scores crowd the first bin.
    assert_eq!(t.store.score_histogram(run, 10.0, 4).await.unwrap(), vec![5, 0, 0, 0]);
}

async fn trace_pages_carry_their_calls_and_clip_texts(t: TestApp) {
    t.seed_bench("tr", &["a"]).await;
    let run = t.trigger("tr", "production").await;
    let steps: Vec<Value> = (0..250)
        .map(|i| json!({"index": i, "type": "llm", "name": format!("s{i}"), "output": if i == 120 { "é".repeat(1000) } else { format!("o{i}") }, "duration_ms": i}))
        .collect();
    let mut calls: Vec<Value> = (0..250).filter(|i| i % 10 == 0).map(|i| json!({"step_index": i, "tool_name": format!("t{i}"), "result": "r"})).collect();
    calls.push(json!({"step_index": null, "tool_name": "loose"}));
    calls.push(json!({"step_index": 9999, "tool_name": "dangling"}));
    push(&t, run, json!([{"case_id": "a", "status": "ok", "headline_score": 1.0, "trace": {"steps": steps, "tool_calls": calls}}])).await;
    let rid = t.store.result_id(run, "a", 1).await.unwrap();
    let p1 = t.store.trace_page(rid, 100, 100).await.unwrap();
    assert_eq!((p1.total_steps, p1.total_tool_calls), (250, 27));
    assert_eq!(p1.steps.len(), 100);
    assert_eq!(p1.steps[0].index, 100);
    assert_eq!(p1.steps[0].tool_calls.iter().map(|c| c.tool_name.as_str()).collect::<Vec<_>>(), vec!["t100"]);
    assert!(p1.steps[1].tool_calls.is_empty());
    let long = &p1.steps[20];
    assert_eq!(long.index, 120);
    assert!(long.output_cut);
    assert_eq!(long.output.as_ref().unwrap().chars().count(), assay::server::store::views::TRACE_TEXT_CAP);
    assert!(p1.unattached_calls.is_empty(), "calls outside steps come with the last page");
    let last = t.store.trace_page(rid, 200, 100).await.unwrap();
    assert_eq!(last.steps.len(), 50);
    let loose: Vec<&str> = last.unattached_calls.iter().map(|c| c.tool_name.as_str()).collect();
    assert_eq!(loose, vec!["loose", "dangling"]);
    // The whole text of a clipped step, by its position.
    assert_eq!(t.store.result_text(run, "a", 1, "step:120").await.unwrap(), "é".repeat(1000));
}

async fn result_texts_come_whole(t: TestApp) {
    t.seed_bench("tx", &["a"]).await;
    let run = t.trigger("tx", "production").await;
    let long = format!("{}<script>x</script>", "y".repeat(5000));
    push(&t, run, json!([{"case_id": "a", "status": "judge_failed", "output": {"answer": long}, "error": "bad judge",
        "scorer_results": [{"scorer_name": "s0", "reason": "first"}, {"scorer_name": "s1", "reason": long}],
        "trace": {"steps": [{"index": 0}], "tool_calls": [{"step_index": 0, "tool_name": "t", "arguments": {"k": 1}, "result": "done", "error": "oops"}]}}]))
    .await;
    let text = |w: &'static str| t.store.result_text(run, "a", 1, w);
    assert_eq!(text("reason:1").await.unwrap(), long);
    assert_eq!(text("reason:0").await.unwrap(), "first");
    assert_eq!(text("error").await.unwrap(), "bad judge");
    assert!(text("output").await.unwrap().contains(&long), "JSON output shown indented, whole");
    assert_eq!(text("args:0").await.unwrap(), r#"{"k":1}"#);
    assert_eq!(text("result:0").await.unwrap(), "done");
    assert_eq!(text("call_error:0").await.unwrap(), "oops");
    assert_eq!(text("inputs").await.unwrap(), "{\n  \"q\": \"a\"\n}");
    assert!(text("reason:7").await.unwrap_err().is_not_found());
    assert!(text("expected").await.unwrap_err().is_not_found(), "the case has no expected output");
    assert!(matches!(text("secrets").await.unwrap_err(), StoreError::Invalid { field, .. } if field == "what"));
    assert!(t.store.result_text(run, "zz", 1, "error").await.unwrap_err().is_not_found());
    // The head of a result comes without its trace; the whole one with it.
    let head = t.store.get_result_head(run, "a", 1).await.unwrap();
    assert!(head.trace.steps.is_empty() && head.scorer_results.len() == 2);
    assert_eq!(t.store.get_result(run, "a", 1).await.unwrap().trace.tool_calls.len(), 1);
}

async fn case_history_spans_the_benchs_runs_with_epochs_averaged(t: TestApp) {
    t.seed_bench("ch", &["a", "b"]).await;
    t.seed_bench("other", &["a"]).await;
    let r1 = t.trigger("ch", "production").await;
    push(&t, r1, json!([{"case_id": "a", "status": "ok", "headline_score": 0.2}, {"case_id": "b", "status": "ok", "headline_score": 0.9}])).await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let r2 = t.trigger("ch", "canary").await;
    push(&t, r2, json!([
        {"case_id": "a", "epoch": 1, "status": "ok", "headline_score": 0.4},
        {"case_id": "a", "epoch": 2, "status": "ok", "headline_score": 0.8},
    ]))
    .await;
    let r3 = t.trigger("other", "production").await;
    push(&t, r3, json!([{"case_id": "a", "status": "ok", "headline_score": 1.0}])).await;
    let bench = t.store.find_bench("ch").await.unwrap().unwrap();
    let h = t.store.case_history(bench.id, "a", 50).await.unwrap();
    assert_eq!(h.iter().map(|p| p.run_id).collect::<Vec<_>>(), vec![r2, r1], "newest first, this bench only");
    assert!((h[0].score.unwrap() - 0.6).abs() < 1e-9, "epochs averaged");
    assert_eq!((h[0].epochs, h[0].channel.as_str(), h[0].status.as_deref()), (2, "canary", Some("ok")));
    assert_eq!(h[1].verdict.as_deref(), Some("fail"));
    assert_eq!(t.store.case_history(bench.id, "a", 1).await.unwrap().len(), 1);
    assert_eq!(t.store.result_epochs(r2, "a").await.unwrap(), vec![1, 2]);
    assert!(t.store.find_bench("nope").await.unwrap().is_none());
}

async fn bench_trend_lists_completed_runs_oldest_first(t: TestApp) {
    t.seed_bench("tr", &["a", "b"]).await;
    let mut done = Vec::new();
    for (i, score) in [0.2, 0.6, 1.0].into_iter().enumerate() {
        let run = t.trigger("tr", if i == 1 { "canary" } else { "production" }).await;
        push(&t, run, json!([{"case_id": "a", "status": "ok", "headline_score": score}, {"case_id": "b", "status": "ok", "headline_score": 1.0}])).await;
        t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
        done.push(run);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let (s, sampled) = t.post("/api/runs", json!({"bench": "tr", "channel": "production", "mode": "sampled", "sample_size": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{sampled}");
    let sampled = sampled["id"].as_i64().unwrap();
    t.post(&format!("/api/runs/{sampled}/complete"), json!({})).await;
    let _running = t.trigger("tr", "production").await;
    let bench = t.store.find_bench("tr").await.unwrap().unwrap();
    let pts = t.store.bench_trend(bench.id, 100).await.unwrap();
    assert_eq!(pts.iter().map(|p| p.run_id).collect::<Vec<_>>(), vec![done[0], done[1], done[2], sampled], "completed only, oldest first");
    assert!((pts[1].mean_score.unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(pts[0].pass_rate, Some(0.5));
    assert_eq!(pts[1].channel, "canary");
    assert!(pts[3].sampled && !pts[0].sampled);
    assert_eq!(pts[3].mean_score, None, "a sampled run with no result has no mean");
    let last_two = t.store.bench_trend(bench.id, 2).await.unwrap();
    assert_eq!(last_two.iter().map(|p| p.run_id).collect::<Vec<_>>(), vec![done[2], sampled], "the latest `limit`, still oldest first");
    // Every bench's trend in one statement gives the same points as one bench's.
    t.seed_bench("other", &["a"]).await;
    let o = t.trigger("other", "production").await;
    t.post(&format!("/api/runs/{o}/complete"), json!({})).await;
    let all = t.store.bench_trends(2).await.unwrap();
    let ids = |v: &Vec<assay::model::views::TrendPoint>| v.iter().map(|p| p.run_id).collect::<Vec<_>>();
    assert_eq!(ids(&all[&bench.id]), ids(&last_two));
    let other = t.store.find_bench("other").await.unwrap().unwrap();
    assert_eq!(ids(&all[&other.id]), vec![o]);
    assert_eq!(all.len(), 2);
    // The run before each on its channel, however many runs the bench has.
    assert_eq!(t.store.previous_on_channel(done[2]).await.unwrap(), Some(done[0]), "canary's run in between is skipped");
    assert_eq!(t.store.previous_on_channel(done[1]).await.unwrap(), None, "the first canary run");
    assert_eq!(t.store.previous_on_channel(done[0]).await.unwrap(), None);
    assert_eq!(t.store.previous_on_channel(sampled).await.unwrap(), Some(done[2]));
}

async fn cases_page_by_id_and_filter_by_tag(t: TestApp) {
    t.seed_bench("cs", &[]).await;
    let cases: Vec<Value> = (0..25)
        .map(|i| json!({"id": format!("c{i:02}"), "name": format!("n{i}"), "tags": if i % 5 == 0 { vec!["five"] } else { vec![] }, "frozen": i == 3}))
        .collect();
    let (s, b) = t.put("/api/benches/cs/cases", json!({"cases": cases})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let bench = t.store.find_bench("cs").await.unwrap().unwrap();
    let p1 = t.store.list_cases(bench.id, None, None, 10).await.unwrap();
    assert_eq!(p1.cases.len(), 10);
    assert_eq!(p1.next_after.as_deref(), Some("c09"));
    assert!(p1.cases[3].frozen);
    assert_eq!(p1.tags, vec![("five".to_string(), 5)]);
    let p3 = t.store.list_cases(bench.id, None, Some("c19"), 10).await.unwrap();
    assert_eq!(p3.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["c20", "c21", "c22", "c23", "c24"]);
    assert_eq!(p3.next_after, None);
    let tagged = t.store.list_cases(bench.id, Some("five"), Some("c05"), 2).await.unwrap();
    assert_eq!(tagged.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["c10", "c15"]);
    assert_eq!(tagged.next_after.as_deref(), Some("c15"));
    let case = t.store.get_case(bench.id, "c05").await.unwrap().unwrap();
    assert_eq!((case.name.as_deref(), case.tags.clone()), (Some("n5"), vec!["five".to_string()]));
    assert!(t.store.get_case(bench.id, "zz").await.unwrap().is_none());
}

async fn channels_come_with_their_history(t: TestApp) {
    t.seed_bench("chn", &["a"]).await;
    let (s, _) = t.post("/api/scripts/workflow/wf/versions", json!({"source": "v2", "channels": ["canary"]})).await;
    assert!(s.is_success());
    let chans = t.store.script_channels("workflow", "wf").await.unwrap();
    assert_eq!(chans.iter().map(|c| (c.name.as_str(), c.version_number)).collect::<Vec<_>>(), vec![("canary", 2), ("production", 1)]);
    assert_eq!(chans[0].history.iter().map(|m| m.version_number).collect::<Vec<_>>(), vec![2, 1], "newest move first");
    assert!(t.store.script_channels("judge", "nope").await.unwrap().is_empty());
}
