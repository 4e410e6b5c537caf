//! `assay import` into a real database, on SQLite and on PostgreSQL: the fixtures written by the
//! real tools land as finished runs (read back through the API), re-imports add nothing, a file
//! that cannot be read writes nothing, verdicts from the source are stored as given, and the
//! streamed import route is all-or-nothing.

mod common;

use std::path::{Path, PathBuf};

use assay::server::import::command::import_into;
use assay::server::import::ReadOptions;
use axum::http::{Method, StatusCode};
use common::{approx, TestApp};
use serde_json::{json, Value};

on_both_backends!(
    an_inspect_log_is_a_finished_run_with_epochs,
    promptfoo_columns_are_runs_with_the_sources_verdicts,
    reimporting_adds_nothing_and_names_the_run,
    unreadable_files_write_nothing,
    cancelled_and_failed_logs_keep_their_status,
    bundle_verdicts_are_stored_as_given,
    the_stream_route_is_all_or_nothing,
    the_run_page_says_where_the_run_came_from,
);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

async fn import(t: &TestApp, name: &str) -> Vec<Value> {
    let (_, outcome) = import_into(&t.store, &fixture(name), &ReadOptions::default()).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    outcome.runs.iter().map(|r| serde_json::to_value(r).unwrap()).collect()
}

async fn run(t: &TestApp, id: &Value) -> Value {
    let (s, run) = t.get(&format!("/api/runs/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{run}");
    run
}

async fn an_inspect_log_is_a_finished_run_with_epochs(t: TestApp) {
    let runs = import(&t, "arith.eval").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["created"], true);
    assert_eq!(runs[0]["results"], 10);
    let r = run(&t, &runs[0]["run_id"]).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["bench_name"], "inspect_evals-arith_0_shot");
    assert_eq!(r["channel"], "mockllm-model");
    assert_eq!(r["model"], "mockllm/model");
    assert_eq!(r["total_cases"], 5);
    assert_eq!(r["results_count"], 10, "two epochs of five samples");
    assert_eq!(r["missing"], 0);
    // C/I from match: samples 1 and 3 correct in both epochs, q-two and geo/paris not, 5 errored.
    assert_eq!((r["passed"].as_i64(), r["failed"].as_i64(), r["inconclusive"].as_i64()), (Some(4), Some(4), Some(2)));
    assert!(approx(&r["pass_rate"], 0.4));
    assert_eq!(r["verdicts_from_source"], true);
    assert_eq!(r["status_breakdown"], json!({"ok": 8, "workflow_failed": 2}));
    assert_eq!(r["metadata"]["source_format"], "inspect");
    assert_eq!(r["metadata"]["source_file"], "arith.eval");
    assert!(r["dimension_scores"]["accuracy"].is_number() && r["dimension_scores"]["brevity"].is_number());
    assert!(r["total_tokens"].as_i64().unwrap() > 0 && r["total_cost_usd"].as_f64().unwrap() > 0.0);

    let (_, found) = t.get("/api/runs?meta.source_file=arith.eval").await;
    assert_eq!(found["runs"].as_array().unwrap().len(), 1, "provenance is filterable");
    assert_eq!(found["runs"][0]["id"], runs[0]["run_id"]);

    let (s, paris) = t.get(&format!("/api/runs/{}/results/geo%2Fparis?epoch=2", runs[0]["run_id"])).await;
    assert_eq!(s, StatusCode::OK, "{paris}");
    assert_eq!(paris["epoch"], 2);
    assert_eq!(paris["verdict"], "fail");
    let question = "What is the capital of France? Answer in one sentence, then add two facts about the city that a visitor would want to know.";
    assert_eq!(paris["case_name"], format!("{}…", &question[..80]), "the case is named by its input, cut at 80");
    assert_eq!(paris["scorer_results"][2]["scorer_name"], "partial");
    assert!(approx(&paris["scorer_results"][2]["score"], 0.5));
    assert_eq!(paris["dimension_scores"], json!({"accuracy": 1.0, "brevity": 0.5}));
    assert_eq!(paris["trace"]["steps"][0]["type"], "model");
    assert!(paris["workflow_output"].as_str().unwrap().starts_with("Paris, of course."));
    let (expected,): (Option<String>,) = t
        .db
        .one("SELECT expected_output FROM cases WHERE case_id = 'geo/paris'", vec![])
        .await
        .unwrap();
    assert_eq!(expected.as_deref(), Some("\"Paris\""), "the target is the case's expected output");
    let consistent = t.store.recomputed_run(runs[0]["run_id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(serde_json::to_value(consistent).unwrap(), r, "stored sums equal a recount");

    // The same task's tool log is another bench; the chunked log's versions match its JSON twin's.
    let tools = import(&t, "tools.eval").await;
    let (_, call) = t.get(&format!("/api/runs/{}/results/div", tools[0]["run_id"])).await;
    assert_eq!(call["trace"]["tool_calls"][0]["tool_name"], "divide");
    assert_eq!(call["trace"]["tool_calls"][0]["error"], "division by zero");
    assert_eq!(call["trace"]["tool_calls"][0]["step_index"], 0);
}

async fn promptfoo_columns_are_runs_with_the_sources_verdicts(t: TestApp) {
    let runs = import(&t, "capitals.json").await;
    assert_eq!(runs.len(), 6);
    let channels: Vec<&str> = runs.iter().map(|r| r["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["echo-a", "echo-a", "echo-b", "echo-b", "priced", "priced"]);
    for (k, summary) in runs.iter().enumerate() {
        let r = run(&t, &summary["run_id"]).await;
        assert_eq!(r["bench_name"], "Capitals--echo-smoke");
        assert_eq!(r["notes"], if k % 2 == 0 { "plain" } else { "polite" });
        assert_eq!(r["metadata"]["source_column"], k);
        assert_eq!(r["total_cases"], 5);
        // france and Peru pass; japan fails; strict fails on promptfoo's own 0.9 threshold
        // though its score of 0.7 clears ours; broken errored.
        assert_eq!((r["passed"].as_i64(), r["failed"].as_i64(), r["inconclusive"].as_i64()), (Some(2), Some(2), Some(1)), "{r}");
        assert_eq!(r["verdicts_from_source"], true);
    }
    let (_, page) = t.get(&format!("/api/runs/{}/results?verdict=fail&sort=-score", runs[0]["run_id"])).await;
    let top = &page["results"][0];
    assert!(approx(&top["headline_score"], 0.7), "{page}");
    assert_eq!(top["verdict"], "fail", "the source's verdict, not a recount against 0.5");
    let priced = run(&t, &runs[4]["run_id"]).await;
    assert!(priced["total_tokens"].as_i64().unwrap() > 0);
    assert!(priced["total_cost_usd"].as_f64().unwrap() > 0.0);
    let (_, e) = t.get(&format!("/api/runs/{}/results?status=workflow_failed", runs[0]["run_id"])).await;
    assert_eq!(e["results"].as_array().unwrap().len(), 1);
    let (_, bench) = t.get("/api/benches/Capitals--echo-smoke").await;
    assert_eq!(bench["case_count"], 5, "tests keyed by description and vars, once for six columns");

    // The repeated .jsonl: two runs, each case twice.
    let rep = import(&t, "repeat.jsonl").await;
    for summary in &rep {
        let r = run(&t, &summary["run_id"]).await;
        assert_eq!((r["total_cases"].as_i64(), r["results_count"].as_i64()), (Some(3), Some(6)));
        assert_eq!(r["bench_name"], "repeat");
    }
}

async fn reimporting_adds_nothing_and_names_the_run(t: TestApp) {
    let first = import(&t, "capitals.json").await;
    import(&t, "arith.json").await;
    let before = t.table_counts().await;
    let again = import(&t, "capitals.json").await;
    assert_eq!(again.len(), 6);
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(b["created"], false);
        assert_eq!(a["run_id"], b["run_id"], "it says which run it already is");
    }
    // arith-chunked.eval is arith.json converted: the same eval, so the same run.
    let chunked = import(&t, "arith-chunked.eval").await;
    assert_eq!(chunked[0]["created"], false);
    assert_eq!(t.table_counts().await, before, "nothing added");
}

async fn unreadable_files_write_nothing(t: TestApp) {
    let before = t.table_counts().await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("arith.eval")).unwrap();
    let cut = dir.path().join("cut.eval");
    std::fs::write(&cut, &bytes[..bytes.len() - 200]).unwrap();
    let err = import_into(&t.store, &cut, &ReadOptions::default()).await.unwrap_err();
    assert!(err.contains("truncated"), "{err}");

    // A damaged member deep in the zip: the header and earlier samples were already written in
    // the transaction when the reader fails — all of it rolls back.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let last = zip.by_name("samples/5_epoch_2.json").unwrap();
    let (start, len) = (last.data_start().unwrap() as usize, last.compressed_size() as usize);
    drop(last);
    let mut damaged = bytes.clone();
    for b in &mut damaged[start + len / 3..start + len / 2] {
        *b ^= 0x5a;
    }
    let bad = dir.path().join("damaged.eval");
    std::fs::write(&bad, &damaged).unwrap();
    let err = import_into(&t.store, &bad, &ReadOptions::default()).await.unwrap_err();
    assert!(err.contains("samples/5_epoch_2.json"), "the member is named: {err}");

    let other = dir.path().join("tsconfig.json");
    std::fs::write(&other, r#"{"compilerOptions": {"strict": true}}"#).unwrap();
    let err = import_into(&t.store, &other, &ReadOptions::default()).await.unwrap_err();
    assert!(err.contains("not an Inspect AI log"), "{err}");
    let err = import_into(&t.store, &fixture("started.eval"), &ReadOptions::default()).await.unwrap_err();
    assert!(err.contains("still being written"), "{err}");

    // A result the store refuses names its source location.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(fixture("capitals.json")).unwrap()).unwrap();
    doc["results"]["results"][7]["score"] = json!(3.5);
    let bad = dir.path().join("bad-score.json");
    std::fs::write(&bad, doc.to_string()).unwrap();
    let err = import_into(&t.store, &bad, &ReadOptions::default()).await.unwrap_err();
    assert!(err.contains("results.results[7] (headline_score)") && err.contains("3.5"), "{err}");
    assert_eq!(t.table_counts().await, before, "nothing written by any of them");
}

async fn cancelled_and_failed_logs_keep_their_status(t: TestApp) {
    let c = import(&t, "cancelled.eval").await;
    let r = run(&t, &c[0]["run_id"]).await;
    assert_eq!(r["status"], "canceled");
    assert_eq!((r["total_cases"].as_i64(), r["missing"].as_i64()), (Some(4), Some(1)), "the sample that never ran is missing");
    let f = import(&t, "failed.eval").await;
    let r = run(&t, &f[0]["run_id"]).await;
    assert_eq!(r["status"], "failed");
    assert!(r["error"].as_str().unwrap().contains("the solver refuses: explode"));
}

fn bundle() -> Value {
    json!({
        "bench": {"name": "graded", "score_max": 100, "pass_threshold": 70},
        "cases": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "workflow": {"name": "wf", "source": "v1"},
        "judge": {"name": "jd", "source": "j1"},
        "run": {"channel": "nightly"},
        "results": [
            {"case_id": "a", "status": "ok", "headline_score": 90, "verdict": "fail"},
            {"case_id": "b", "status": "ok", "headline_score": 40, "verdict": "pass"},
            {"case_id": "c", "status": "ok", "headline_score": 80}
        ]
    })
}

async fn bundle_verdicts_are_stored_as_given(t: TestApp) {
    let (s, r) = t.post("/api/import", bundle()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["passed"].as_i64(), r["failed"].as_i64()), (Some(2), Some(1)), "a: fail as given, b: pass as given, c: 80 ≥ 70");
    assert!(approx(&r["pass_rate"], 2.0 / 3.0));
    assert_eq!(r["verdicts_from_source"], true);
    let (_, a) = t.get(&format!("/api/runs/{}/results/a", r["id"])).await;
    assert_eq!(a["verdict"], "fail");
    let plain = json!({"bench": {"name": "plain"}, "workflow": {"name": "wf", "source": "v1"}, "judge": {"name": "jd", "source": "j1"},
                       "cases": [{"id": "a"}], "run": {}, "results": [{"case_id": "a", "status": "ok", "headline_score": 1}]});
    let (_, p) = t.post("/api/import", plain).await;
    assert_eq!(p["verdicts_from_source"], false);

    let before = t.table_counts().await;
    for (result, field) in [
        (json!({"case_id": "a", "status": "ok", "headline_score": 1, "verdict": "maybe"}), "results[0].verdict"),
        (json!({"case_id": "a", "status": "workflow_failed", "verdict": "pass"}), "results[0].verdict"),
        (json!({"case_id": "a", "status": "skipped", "verdict": "error"}), "results[0].verdict"),
    ] {
        let mut b = bundle();
        b["bench"]["name"] = json!("refused");
        b["results"] = json!([result]);
        let (s, e) = t.post("/api/import", b).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], field);
    }
    assert_eq!(t.table_counts().await, before);
}

async fn stream(t: &TestApp, body: Vec<u8>, token: &str) -> (StatusCode, Value) {
    t.send(Method::POST, "/api/import/stream", Some(token), Some(body)).await
}

fn lines(v: &[Value]) -> Vec<u8> {
    v.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
}

async fn the_stream_route_is_all_or_nothing(t: TestApp) {
    let head = json!({"line": "run", "key": 0, "bench": {"name": "streamed"}, "workflow": {"source": "w"}, "judge": {"source": "j"},
                      "run": {"channel": "ci", "metadata": {"source_format": "bundle", "source_id": "abc", "source_file": "x.json"}},
                      "total_cases": 0});
    let cases = json!({"line": "cases", "run": 0, "cases": [{"id": "a"}, {"id": "b"}]});
    let results = json!({"line": "results", "run": 0, "results": [{"case_id": "a", "status": "ok", "headline_score": 1}, {"case_id": "b", "status": "ok", "headline_score": 0}]});
    let end = json!({"line": "end"});
    let before = t.table_counts().await;
    let (s, e) = stream(&t, lines(&[head.clone(), cases.clone(), results.clone()]), &t.write).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no end line: {e}");
    assert_eq!(e["error"]["code"], "incomplete");
    let mut bad = results.clone();
    bad["results"][1]["headline_score"] = json!(2);
    let (s, e) = stream(&t, lines(&[head.clone(), cases.clone(), bad, end.clone()]), &t.write).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "lines[2].results[1].headline_score");
    let (s, _) = stream(&t, lines(&[head.clone(), end.clone()]), &t.read).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a read token cannot import");
    assert_eq!(t.table_counts().await, before, "refused streams wrote nothing");

    let body = lines(&[head.clone(), cases.clone(), results.clone(), end.clone()]);
    let (s, o) = stream(&t, body.clone(), &t.write).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["runs"][0]["created"], true);
    assert_eq!(o["runs"][0]["results"], 2);
    let r = run(&t, &o["runs"][0]["run_id"]).await;
    assert_eq!((r["status"].as_str(), r["total_cases"].as_i64(), r["workflow_script_name"].as_str()), (Some("completed"), Some(2), Some("streamed")));
    assert_eq!(r["judge_script_name"], "streamed-judge", "a new bench's scripts are named after it");
    let (s, o2) = stream(&t, body, &t.write).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((o2["runs"][0]["created"].as_bool(), &o2["runs"][0]["run_id"]), (Some(false), &o["runs"][0]["run_id"]));
}

async fn the_run_page_says_where_the_run_came_from(t: TestApp) {
    let runs = import(&t, "capitals.json").await;
    let req = axum::http::Request::builder().uri(format!("/runs/{}", runs[2]["run_id"])).body(axum::body::Body::empty()).unwrap();
    let res = tower::ServiceExt::oneshot(t.app.clone(), req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    let html = String::from_utf8_lossy(&bytes);
    assert!(html.contains("data-testid=\"run-provenance\""), "a provenance line");
    assert!(html.contains("Imported from capitals.json (promptfoo, column 2"), "{}", &html[html.find("run-provenance").unwrap_or(0)..][..300.min(html.len())]);
    assert!(html.contains("Verdicts from the source"), "the verdicts' origin is shown");
}
