//! Hostile input through the real router, on SQLite and on PostgreSQL: each refused with a
//! clear 4xx that names what is wrong, and nothing written (every table's row count and the
//! run's sums are compared around each request). The ones that need a socket — a body cut
//! off mid-stream, 65 MB without a length, raw bytes in the request line — go over loopback.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

on_both_backends!(hostile_bodies_paths_and_headers_are_refused_and_write_nothing, hostile_connections_write_nothing_and_the_server_carries_on);

/// Send raw `body` with `headers`; the status, the JSON answer, and the answer's size.
async fn send_raw(t: &TestApp, method: Method, path: &str, headers: &[(&str, &str)], body: Body) -> (StatusCode, Value, usize) {
    let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {}", t.write));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = t.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), bytes.len())
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

struct Case {
    what: &'static str,
    method: Method,
    path: String,
    headers: &'static [(&'static str, &'static str)],
    body: Vec<u8>,
    status: StatusCode,
    /// The field the answer must name (a prefix), if any.
    field: Option<&'static str>,
    /// Words the message must contain.
    says: &'static str,
}

fn case(what: &'static str, path: &str, body: impl Into<Vec<u8>>, status: StatusCode, field: Option<&'static str>, says: &'static str) -> Case {
    Case { what, method: Method::POST, path: path.to_string(), headers: JSON, body: body.into(), status, field, says }
}

fn result_with(extra: &str) -> Vec<u8> {
    format!(r#"{{"results": [{{"case_id": "b", "status": "ok", {extra}}}]}}"#).into_bytes()
}

async fn hostile_bodies_paths_and_headers_are_refused_and_write_nothing(t: TestApp) {
    t.seed_bench("hx", &["a", "b"]).await;
    let id = t.trigger("hx", "production").await;
    let (s, _) = t.post(&format!("/api/runs/{id}/results"), json!({"results": [{"case_id": "a", "status": "ok", "headline_score": 0.5}]})).await;
    assert_eq!(s, StatusCode::OK);
    let before = t.table_counts().await;
    let run_before = t.run_json(id).await;
    let results = format!("/api/runs/{id}/results");
    let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
    let big_id = "x".repeat(10 * 1024 * 1024);
    let (u422, u400, u415) = (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::BAD_REQUEST, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut cases = vec![
        case("arrays nested 10,000 deep", &results, result_with(&format!(r#""output": {}"#, deep("[", "]"))), u400, Some("results[0].output"), "nested deeper than 128"),
        case("objects nested 10,000 deep", "/api/runs", format!(r#"{{"bench": "hx", "channel": "production", "metadata": {}}}"#, deep(r#"{"a": "#, "}")), u400, Some("metadata"), "nested deeper than 128"),
        case("invalid UTF-8 in a string", &results, [&b"{\"results\": [{\"case_id\": \"b\xff\xfe\", \"status\": \"ok\"}]}"[..]].concat(), u400, Some("results[0].case_id"), "not valid UTF-8"),
        case("invalid UTF-8 in a key", &results, [&b"{\"results\": [{\"case_id\": \"b\", \"\xc3\x28\": 1, \"status\": \"ok\"}]}"[..]].concat(), u400, Some("results[0]"), "not valid UTF-8"),
        case("a 10 MB case id", &results, format!(r#"{{"results": [{{"case_id": "{big_id}", "status": "ok"}}]}}"#), u422, Some("results[0].case_id"), "1–256 characters"),
        case("a score as a string", &results, result_with(r#""headline_score": "0.5""#), u422, Some("results[0].headline_score"), "invalid type: string"),
        case("an epoch as a string", &results, result_with(r#""epoch": "2""#), u422, Some("results[0].epoch"), "invalid type: string"),
        case("a 10 MB score as a string", &results, result_with(&format!(r#""headline_score": "{big_id}""#)), u422, Some("results[0].headline_score"), "invalid type: string"),
        case("a 10 MB status", &results, format!(r#"{{"results": [{{"case_id": "b", "status": "{big_id}"}}]}}"#), u422, Some("results[0].status"), "unknown variant"),
        case("a duration as a string", &results, result_with(r#""duration_ms": "100""#), u422, Some("results[0].duration_ms"), "invalid type: string"),
        case("1e400", &results, result_with(r#""headline_score": 1e400"#), u422, Some("results[0].headline_score"), "number out of range"),
        case("-1e400 as a cost", &results, result_with(r#""cost_usd": -1e400"#), u422, Some("results[0].cost_usd"), "number out of range"),
        case("1e400 inside stored JSON", &results, result_with(r#""output": {"x": [1e400]}"#), u422, Some("results[0].output"), "number out of range"),
        case("epoch 0", &results, result_with(r#""epoch": 0"#), u422, Some("results[0].epoch"), "epochs count from 1"),
        case("epoch -1", &results, result_with(r#""epoch": -1"#), u422, Some("results[0].epoch"), "epochs count from 1"),
        case("the smallest epoch", &results, result_with(r#""epoch": -9223372036854775808"#), u422, Some("results[0].epoch"), "epochs count from 1"),
        case("a fractional epoch", &results, result_with(r#""epoch": 1.5"#), u422, Some("results[0].epoch"), "expected a whole number"),
        case("an epoch past i64", &results, result_with(r#""epoch": 9223372036854775808"#), u422, Some("results[0].epoch"), "invalid value"),
        case("a field twice", &results, result_with(r#""status": "skipped""#), u422, Some("results[0]"), "duplicate field `status`"),
        case("a dimension twice", &results, result_with(r#""dimension_scores": {"tone": 0.1, "tone": 0.9}"#), u422, Some("results[0].dimension_scores"), "duplicate key \"tone\""),
        case("a key twice in stored JSON", &results, result_with(r#""output": {"answer": "yes", "answer": "no"}"#), u422, Some("results[0].output"), "duplicate key \"answer\""),
        case("results twice", &results, r#"{"results": [], "results": [{"case_id": "b", "status": "ok"}]}"#, u422, None, "duplicate field `results`"),
        case("a metadata key twice", "/api/runs", r#"{"bench": "hx", "channel": "production", "metadata": {"sha": "a", "sha": "b"}}"#, u422, Some("metadata"), "duplicate key \"sha\""),
        case("a form body that says it is JSON", &results, "case_id=b&status=ok", u400, None, "expected value"),
    ];
    for (what, headers, body, field, says) in [
        ("JSON sent as text/plain", &[("content-type", "text/plain")][..], result_with(r#""headline_score": 0.5"#), "content-type", "text/plain"),
        ("JSON sent as a form", &[("content-type", "application/x-www-form-urlencoded")][..], result_with(""), "content-type", "application/x-www-form-urlencoded"),
        ("JSON sent as multipart", &[("content-type", "multipart/form-data; boundary=x")][..], result_with(""), "content-type", "multipart/form-data"),
        ("no Content-Type", &[][..], result_with(""), "content-type", "Content-Type: application/json"),
        ("UTF-16 claimed", &[("content-type", "application/json; charset=utf-16")][..], result_with(""), "content-type", "utf-16"),
        ("a gzip body", &[("content-type", "application/json"), ("content-encoding", "gzip")][..], result_with(""), "content-encoding", "gzip"),
    ] {
        let headers: &'static [(&'static str, &'static str)] = Box::leak(headers.to_vec().into_boxed_slice());
        cases.push(Case { what, method: Method::POST, path: results.clone(), headers, body, status: u415, field: Some(field), says });
    }
    for (what, path, field) in [
        ("invalid UTF-8 in a case id path", format!("/api/runs/{id}/results/%FF%FE"), "case_id"),
        ("invalid UTF-8 in a bench path", "/api/benches/%C3%28".to_string(), "bench"),
        ("invalid UTF-8 in a seed path", "/bench-runs/%FF/results".to_string(), "id"),
    ] {
        cases.push(Case { what, method: Method::GET, path, headers: &[], body: vec![], status: u400, field: Some(field), says: "UTF-8" });
    }
    cases.push(Case {
        what: "invalid UTF-8 in a path with a body",
        method: Method::PUT,
        path: "/api/benches/%FF/cases".into(),
        headers: JSON,
        body: br#"{"cases": [{"id": "z"}]}"#.to_vec(),
        status: u400,
        field: Some("bench"),
        says: "UTF-8",
    });
    for c in cases {
        let (s, e, size) = send_raw(&t, c.method, &c.path, c.headers, Body::from(c.body)).await;
        assert_eq!(s, c.status, "{}: {e}", c.what);
        assert!(e["error"]["code"].is_string(), "{}: {e}", c.what);
        let message = e["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(c.says), "{}: message {message:?} should say {:?}", c.what, c.says);
        if let Some(f) = c.field {
            let got = e["error"]["field"].as_str().unwrap_or_default();
            assert!(got.starts_with(f), "{}: field {got:?}, want {f:?}", c.what);
        }
        assert!(size < 4096, "{}: a {size}-byte answer echoes the input", c.what);
        assert_eq!(t.table_counts().await, before, "{} wrote something", c.what);
        assert_eq!(t.run_json(id).await, run_before, "{} changed the run", c.what);
    }
    // A body that breaks off: the client's stream fails after a few bytes.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(br#"{"results": [{"case_id": "b", "sta"#.to_vec()), Err(std::io::Error::other("client hung up"))];
    let (s, e, _) = send_raw(&t, Method::POST, &results, JSON, Body::from_stream(futures::stream::iter(chunks))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "bad_body");
    assert_eq!(t.table_counts().await, before, "a broken-off body wrote something");
    // A method the route lacks is JSON too.
    let (s, e, _) = send_raw(&t, Method::PATCH, &results, JSON, Body::from("{}")).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(e["error"]["code"], "method_not_allowed");
    // What the refusals guard still works: the same batch, well formed, goes in.
    let (s, c) = t.post(&results, json!({"results": [{"case_id": "b", "status": "ok", "dimension_scores": {"tone": 0.9}}]})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (s, _, _) = send_raw(&t, Method::POST, &format!("/api/runs/{id}/complete"), &[], Body::empty()).await;
    assert_eq!(s, StatusCode::OK, "an empty body needs no Content-Type");
}

/// An HTTP/1.1 exchange on a fresh connection: write `head` and `body`, read to the end.
async fn exchange(base: &str, head: &[u8], body: &[u8]) -> String {
    let mut conn = TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    conn.write_all(head).await.unwrap();
    // The server may answer (413) and close before the whole body is in: that is fine.
    let _ = conn.write_all(body).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn hostile_connections_write_nothing_and_the_server_carries_on(t: TestApp) {
    t.seed_bench("hc", &["a", "b"]).await;
    let id = t.trigger("hc", "production").await;
    let base = t.serve().await;
    let before = t.table_counts().await;
    let auth = format!("authorization: Bearer {}\r\ncontent-type: application/json\r\n", t.write);
    let batch = json!({"results": [{"case_id": "a", "status": "ok", "output": "y".repeat(1_000_000)}]}).to_string();

    // The client hangs up halfway through its body.
    let head = format!("POST /api/runs/{id}/results HTTP/1.1\r\nhost: t\r\n{auth}content-length: {}\r\n\r\n", batch.len());
    let mut conn = TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&batch.as_bytes()[..batch.len() / 2]).await.unwrap();
    drop(conn);

    // 65 MB in chunks, no length: refused at the limit.
    let mut chunked = Vec::with_capacity(66 * 1024 * 1024);
    for _ in 0..65 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1024 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b' ', 1024 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!("POST /api/runs/{id}/results HTTP/1.1\r\nhost: t\r\n{auth}transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    let answer = exchange(&base, head.as_bytes(), &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
    assert!(answer.contains("\"too_large\""), "{answer}");

    // Raw bytes that are not UTF-8 (nor ASCII) in the request line.
    let answer = exchange(&base, b"GET /api/runs/1/results/\xff\xfe HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n", b"").await;
    let status: u16 = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!((400..500).contains(&status), "raw bytes in the path: {answer}");

    // Nothing of any of it was written, and the server still answers and ingests.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(t.table_counts().await, before);
    let client = reqwest::Client::new();
    let ok = client
        .post(format!("{base}/api/runs/{id}/results"))
        .bearer_auth(&t.write)
        .json(&json!({"results": [{"case_id": "a", "status": "ok"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
