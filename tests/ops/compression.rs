//! Every streamed or chunked answer — the seed's results array, the server-rendered pages —
//! read back whole through the compression layer with gzip and with br, as browsers,
//! `curl --compressed` and Python `requests` ask for them.

use axum::http::{header, StatusCode};
use serde_json::{json, Value};

use super::common::{self, TestApp};

crate::on_both_backends!(seed_results_stream_whole_under_every_encoding, pages_render_whole_under_every_encoding);

/// GET `path` accepting `encoding`; the status, the Content-Encoding answered and the body decoded.
async fn get_encoded(t: &TestApp, path: &str, encoding: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let (status, headers, body) = t.get_decoded(path, encoding, None).await;
    (status, headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string()), body)
}

const ENCODINGS: [(&str, Option<&str>); 4] =
    [("gzip", Some("gzip")), ("br", Some("br")), ("gzip, deflate, br", Some("br")), ("identity", None)];

async fn push(t: &TestApp, run: i64, cases: &[String]) {
    for chunk in cases.chunks(1_000) {
        let results: Vec<Value> = chunk
            .iter()
            .map(|c| json!({"case_id": c, "status": "ok", "headline_score": 0.5, "output": {"text": c}}))
            .collect();
        let (s, e) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": results })).await;
        assert_eq!(s, StatusCode::OK, "{e}");
    }
}

/// Runs of 0, 3, exactly one stream page (1,000) and several pages with a short last one.
async fn seed_results_stream_whole_under_every_encoding(t: TestApp) {
    let cases: Vec<String> = (0..2_345).map(|i| format!("case-{i:04}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("enc", &refs).await;
    for n in [0usize, 3, 1_000, 2_345] {
        let run = t.trigger("enc", "production").await;
        push(&t, run, &cases[..n]).await;
        for (accept, expect) in ENCODINGS {
            let (s, used, body) = get_encoded(&t, &format!("/bench-runs/{run}/results"), accept).await;
            assert_eq!(s, StatusCode::OK, "{n} results, {accept}");
            assert_eq!(used.as_deref(), expect, "{n} results, {accept}: the layer compressed as asked");
            let all: Vec<Value> = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{n} results, {accept}: not one JSON array ({e}), {} bytes", body.len()));
            assert_eq!(all.len(), n, "{accept}");
            let mut got: Vec<&str> = all.iter().map(|r| r["case_id"].as_str().unwrap()).collect();
            got.sort_unstable();
            assert_eq!(got, refs[..n].to_vec(), "{n} results, {accept}: each result once");
            if let Some(r) = all.last() {
                assert_eq!(r["bench_run_id"], run);
                assert_eq!(r["workflow_output"]["text"], r["case_id"]);
            }
        }
    }
    let (s, _, body) = get_encoded(&t, "/bench-runs/4242424/results", "gzip").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let e: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(e["error"]["code"], "not_found");
}

/// Server-rendered pages stream their HTML in chunks (suspense data arrives last): each one
/// must arrive whole — a truncated gzip or brotli stream fails to decode — and end its document.
async fn pages_render_whole_under_every_encoding(t: TestApp) {
    t.seed_bench("pages", &["a", "b/c"]).await;
    let base = t.trigger("pages", "production").await;
    let run = t.trigger("pages", "production").await;
    for id in [base, run] {
        let (s, e) = t
            .post(&format!("/api/runs/{id}/results"), json!({"results": [
                {"case_id": "a", "status": "ok", "headline_score": 0.9, "output": "answer-a"},
                {"case_id": "b/c", "status": "ok", "headline_score": 0.2}
            ]}))
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
    }
    let pages = [
        ("/".to_string(), "pages"),
        ("/runs".to_string(), "pages"),
        (format!("/runs/{run}"), "b/c"),
        ("/benches/pages".to_string(), "pages"),
        (format!("/runs/{run}/cases/a"), "answer-a"),
        (format!("/compare?a={base}&b={run}"), "b/c"),
        ("/scripts/workflow/wf/v/1".to_string(), "def run"),
    ];
    for (path, needle) in pages {
        for (accept, expect) in ENCODINGS {
            let (s, used, body) = get_encoded(&t, &path, accept).await;
            assert_eq!(s, StatusCode::OK, "{path} {accept}");
            assert_eq!(used.as_deref(), expect, "{path} {accept}");
            let html = String::from_utf8(body).expect("UTF-8 HTML");
            // Out-of-order streaming sends resolved data as scripts after `</html>`.
            let tail = html.trim_end();
            assert!(
                html.contains("</html>") && (tail.ends_with("</html>") || tail.ends_with("</script>")),
                "{path} {accept}: truncated page ({} bytes): …{}",
                html.len(),
                &tail[tail.len().saturating_sub(200)..]
            );
            assert!(html.contains(needle), "{path} {accept}: {needle:?} missing");
        }
    }
    let (_, used, doc) = get_encoded(&t, "/api/openapi.json", "br").await;
    assert_eq!(used.as_deref(), Some("br"));
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    assert!(doc["paths"]["/bench-runs/{id}/results"].is_object());
}
