//! Full-text search (`q`) on a run's results through the real API, on both backends: every field
//! it reads (outputs, case inputs, errors, scorer reasons, case ids and names), epochs, a running
//! run (a scan) and the same run finished (its index), a replaced result, hostile strings, the
//! snippets, deleted runs leaving the index, and runs indexed after the fact.

mod common;

use axum::http::StatusCode;
use common::{Kind, TestApp};
use serde_json::{json, Value};

on_both_backends!(
    every_field_matches_running_and_finished,
    hostile_queries_answer_200_and_nul_is_refused,
    snippets_mark_the_match_in_the_field_that_matched,
    deleted_runs_leave_the_index_and_old_runs_are_indexed_later,
);

async fn push(t: &TestApp, run: i64, results: Value) {
    let (s, b) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": results })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn finish(t: &TestApp, run: i64) {
    let (s, b) = t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// Every `case_id#epoch` the search finds, across all pages, in page order.
async fn found(t: &TestApp, run: i64, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("/api/runs/{run}/results?limit=2&q={}{cursor}", urlencode(q));
        let (s, page) = t.get(&url).await;
        assert_eq!(s, StatusCode::OK, "{url}: {page}");
        for r in page["results"].as_array().unwrap() {
            out.push(format!("{}#{}", r["case_id"].as_str().unwrap(), r["epoch"]));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

fn urlencode(s: &str) -> String {
    assay::model::query::urlencode(s)
}

/// A bench whose cases carry names and inputs of their own.
async fn bench(t: &TestApp, name: &str) {
    t.seed_bench(name, &["alpha-1", "beta-22", "gamma-333", "delta-4"]).await;
    let (s, b) = t
        .put(
            &format!("/api/benches/{name}/cases"),
            json!({"cases": [
                {"id": "alpha-1", "name": "Billing dispute", "inputs": {"question": "Why was I charged twice?"}},
                {"id": "beta-22", "name": "Shipping delay", "inputs": {"question": "Where is my parcel?\nTracking: ZX-981"}},
                {"id": "gamma-333", "name": "Password reset", "inputs": {"question": "I forgot my login"}},
                {"id": "delta-4", "name": "Warranty claim", "inputs": ["broken hinge", 42]}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

fn results() -> Value {
    json!([
        {"case_id": "alpha-1", "status": "ok", "headline_score": 0.9, "output": "We refunded the duplicate charge.",
         "scorer_results": [{"scorer_name": "judge", "score": 0.9, "passed": true, "reason": "Polite and accurate"}]},
        {"case_id": "beta-22", "epoch": 1, "status": "workflow_failed", "error": "Upstream carrier API timeout"},
        {"case_id": "beta-22", "epoch": 2, "status": "ok", "headline_score": 0.4,
         "output": {"answer": "Your parcel is in transit", "steps": ["looked up\ntracking"]},
         "scorer_results": [{"scorer_name": "judge", "score": 0.4, "passed": false, "reason": "Missed the apology"},
                            {"scorer_name": "tone", "score": 0.5, "reason": "Curt wording"}]},
        {"case_id": "gamma-333", "status": "ok", "headline_score": 0.7, "output": "Use the reset link we emailed."},
        {"case_id": "delta-4", "status": "skipped"}
    ])
}

/// What each search finds, the same while the run is running (scanned) and once it finished
/// (indexed).
const EXPECT: &[(&str, &[&str])] = &[
    ("refunded", &["alpha-1#1"]),              // an output, a string
    ("transit", &["beta-22#2"]),               // an output object's string, one epoch only
    ("tracking", &["beta-22#1", "beta-22#2"]),  // the case's inputs (every epoch) and epoch 2's output
    ("carrier timeout", &["beta-22#1"]),       // an error; words anywhere, in any order
    ("apology", &["beta-22#2"]),               // a scorer reason
    ("CURT", &["beta-22#2"]),                  // the second scorer's reason, any case
    ("hinge", &["delta-4#1"]),                 // inputs that are an array
    ("42", &["delta-4#1"]),                    // a number in the inputs
    ("charged twice", &["alpha-1#1"]),         // inputs
    ("Password", &["gamma-333#1"]),            // a case name, as a word
    ("ma-33", &["gamma-333#1"]),               // a case id, as a substring
    ("a-", &["alpha-1#1", "beta-22#1", "beta-22#2", "delta-4#1", "gamma-333#1"]),
    ("ing dis", &["alpha-1#1"]),               // a case name, as a substring across words
    ("ll", &["alpha-1#1"]),                    // two characters of a case name
    ("3", &["gamma-333#1"]),                   // one character of a case id
    ("refunded apology", &[]),                 // every word must match the one result
    ("zebra", &[]),
];

async fn every_field_matches_running_and_finished(t: TestApp) {
    bench(&t, "srch").await;
    let run = t.trigger("srch", "production").await;
    // A result replaced while running is not found by its old text.
    push(&t, run, json!([{"case_id": "gamma-333", "status": "ok", "output": "obsolete wording xylophone"}])).await;
    assert_eq!(found(&t, run, "xylophone").await, ["gamma-333#1"]);
    push(&t, run, results()).await;
    for (phase, _) in [("running", ()), ("finished", ())] {
        for (q, want) in EXPECT {
            assert_eq!(found(&t, run, q).await, *want, "{phase}: q={q}");
        }
        assert!(found(&t, run, "xylophone").await.is_empty(), "{phase}: the replaced text");
        assert!(found(&t, run, "obsolete").await.is_empty(), "{phase}");
        // Filters and sorts combine with the search.
        let (_, page) = t.get(&format!("/api/runs/{run}/results?q=tracking&status=ok")).await;
        assert_eq!(page["results"].as_array().unwrap().len(), 1, "{phase}");
        let (_, page) = t.get(&format!("/api/runs/{run}/results?q=a-&sort=-score&limit=2")).await;
        let scores: Vec<f64> = page["results"].as_array().unwrap().iter().map(|r| r["headline_score"].as_f64().unwrap()).collect();
        assert_eq!(scores, [0.9, 0.7], "{phase}");
        if phase == "running" {
            // A scan matches inside words; the index matches words and the words they begin.
            assert_eq!(found(&t, run, "efunde").await, ["alpha-1#1"]);
            finish(&t, run).await;
        } else {
            assert!(found(&t, run, "efunde").await.is_empty(), "indexed: a word matches at its start only");
            assert_eq!(found(&t, run, "refund").await, ["alpha-1#1"], "a word's prefix");
        }
    }
    // The index holds the run's results, nothing of another run.
    let other = t.trigger("srch", "production").await;
    push(&t, other, json!([{"case_id": "alpha-1", "status": "ok", "output": "refunded again"}])).await;
    finish(&t, other).await;
    assert_eq!(found(&t, run, "refunded").await, ["alpha-1#1"]);
    assert_eq!(found(&t, other, "refunded").await, ["alpha-1#1"]);
    assert_eq!(found(&t, other, "again").await, ["alpha-1#1"]);
    assert!(found(&t, run, "again").await.is_empty());
}

async fn hostile_queries_answer_200_and_nul_is_refused(t: TestApp) {
    bench(&t, "hostile").await;
    let running = t.trigger("hostile", "production").await;
    push(&t, running, results()).await;
    let finished = t.trigger("hostile", "production").await;
    push(&t, finished, results()).await;
    finish(&t, finished).await;
    let long = "refunded ".repeat(600);
    let hostile = [
        "\"", "'", "*", "-", ":", "(", ")", "\"refunded", "refunded\"", "refunded*", "-refunded", "refunded:", "(refunded",
        "body:refunded", "grams : (\"61\")", "{body grams}: x", "NEAR(a b)", "a AND OR NOT", "^refunded", "refunded OR",
        "'; DROP TABLE results; --", "\\", "\\'", "%", "_", "100%", "'#run1'", "~61", "x & y | !z", "<->", "a:*",
        "😀 emoji", "Grüße", "\t\n", "\u{7f}", long.as_str(),
    ];
    for run in [running, finished] {
        for q in hostile {
            let (s, b) = t.get(&format!("/api/runs/{run}/results?q={}", urlencode(q))).await;
            assert_eq!(s, StatusCode::OK, "q={q:?}: {b}");
            assert!(b["results"].is_array(), "q={q:?}");
        }
        // Punctuation is not syntax: the words around it still search.
        for q in ["\"refunded", "-refunded", "refunded*", "(refunded", "refunded:", "^refunded", "~refunded~", long.as_str()] {
            assert_eq!(found(&t, run, q).await, ["alpha-1#1"], "q={q:?}");
        }
        assert!(found(&t, run, "body:refunded").await.is_empty(), "'body' is a word to find, not a column");
        // NUL: the API refuses it in any URL; the store (which the pages' server functions
        // reach through a form body) refuses it as the search's field.
        let (s, e) = t.get(&format!("/api/runs/{run}/results?q=a%00b")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let q = assay::model::query::ResultsQuery { q: Some("a\0b".into()), ..Default::default() };
        let err = t.store.list_results(run, &q).await.unwrap_err();
        assert_eq!(err.field_name(), Some("q"), "{err}");
    }
}

async fn snippets_mark_the_match_in_the_field_that_matched(t: TestApp) {
    bench(&t, "snip").await;
    let run = t.trigger("snip", "production").await;
    let long = format!("{} the needle sits here {}", "hay ".repeat(80), "straw ".repeat(80));
    push(
        &t,
        run,
        json!([
            {"case_id": "alpha-1", "status": "ok", "output": "<img src=x onerror=alert(1)> refunded in full"},
            {"case_id": "beta-22", "status": "ok", "output": long},
            {"case_id": "gamma-333", "status": "workflow_failed", "error": "Needle not found"},
        ]),
    )
    .await;
    for phase in ["running", "finished"] {
        let (_, page) = t.get(&format!("/api/runs/{run}/results?q=refunded")).await;
        let s = &page["results"][0]["snippet"];
        assert_eq!(s["field"], "output", "{phase}: {page}");
        assert_eq!(
            s["parts"],
            json!([{"text": "<img src=x onerror=alert(1)> ", "hit": false}, {"text": "refunded", "hit": true}, {"text": " in full", "hit": false}]),
            "{phase}: stored text comes back as text, unchanged"
        );
        let (_, page) = t.get(&format!("/api/runs/{run}/results?q=needle")).await;
        let rows = page["results"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{phase}");
        let parts = rows[0]["snippet"]["parts"].as_array().unwrap();
        assert_eq!(parts.first().unwrap()["text"], "…", "{phase}: a long output is cut before the match");
        assert_eq!(parts.last().unwrap()["text"], "…", "{phase}: and after it");
        assert!(parts.iter().any(|p| p["hit"] == true && p["text"] == "needle"), "{phase}");
        assert_eq!(rows[1]["snippet"]["field"], "error", "{phase}");
        assert_eq!(rows[1]["snippet"]["parts"][0], json!({"text": "Needle", "hit": true}), "{phase}");
        let (_, page) = t.get(&format!("/api/runs/{run}/results?q=ma-3")).await;
        assert_eq!(page["results"][0]["snippet"]["field"], "case_id", "{phase}");
        let (_, page) = t.get(&format!("/api/runs/{run}/results")).await;
        assert!(page["results"][0].get("snippet").is_none(), "{phase}: no search, no snippet");
        if phase == "running" {
            finish(&t, run).await;
        }
    }
}

/// Rows of the index (SQLite: FTS5 rows; PostgreSQL: result_search rows).
async fn index_rows(t: &TestApp) -> i64 {
    let sql = match t.kind() {
        Kind::Sqlite => "SELECT COUNT(*) FROM result_fts",
        Kind::Postgres => "SELECT COUNT(*) FROM result_search",
    };
    t.db.one::<(i64,)>(sql, vec![]).await.unwrap().0
}

async fn deleted_runs_leave_the_index_and_old_runs_are_indexed_later(t: TestApp) {
    bench(&t, "del").await;
    let a = t.trigger("del", "production").await;
    push(&t, a, results()).await;
    finish(&t, a).await;
    assert_eq!(index_rows(&t).await, 5);
    let (s, _) = t.send(axum::http::Method::DELETE, &format!("/api/runs/{a}"), Some(&t.admin.clone()), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(index_rows(&t).await, 0, "a deleted run's rows leave the index");
    // On SQLite the next results reuse the deleted ids: they are found by their own text only.
    let b = t.trigger("del", "production").await;
    push(&t, b, json!([{"case_id": "alpha-1", "status": "ok", "output": "brand new text"}])).await;
    finish(&t, b).await;
    assert!(found(&t, b, "refunded").await.is_empty());
    assert_eq!(found(&t, b, "brand").await, ["alpha-1#1"]);

    // A run that finished before the index existed: searched by a scan, then indexed.
    let c = t.trigger("del", "production").await;
    push(&t, c, results()).await;
    finish(&t, c).await;
    let ids: Vec<(i64,)> = t.db.all(&format!("SELECT id FROM results WHERE run_id = {c}"), vec![]).await.unwrap();
    let forget = match t.kind() {
        Kind::Sqlite => format!("DELETE FROM result_fts WHERE rowid IN ({})", ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>().join(",")),
        Kind::Postgres => format!("DELETE FROM result_search WHERE result_id IN (SELECT id FROM results WHERE run_id = {c})"),
    };
    let mut tx = t.db.begin().await.unwrap();
    tx.exec(&forget, vec![]).await.unwrap();
    tx.exec(&format!("DELETE FROM run_search WHERE run_id = {c}"), vec![]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(found(&t, c, "efunde").await, ["alpha-1#1"], "not indexed: scanned");
    assert_eq!(t.store.index_unindexed_runs().await.unwrap(), 1);
    assert_eq!(t.store.index_unindexed_runs().await.unwrap(), 0, "each run once");
    assert!(found(&t, c, "efunde").await.is_empty(), "indexed now");
    for (q, want) in EXPECT {
        assert_eq!(found(&t, c, q).await, *want, "q={q}");
    }
}
