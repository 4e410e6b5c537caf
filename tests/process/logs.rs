//! `--log-format json` writes one JSON object a line, and every request's lines carry its id.

use std::time::Duration;

use serde_json::Value;

use super::common::{Kind, TestApp};
use super::harness::Server;

async fn get_with_id(server: &Server, path: &str, id: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}{path}", server.base)).header("x-request-id", id).send().await.unwrap()
}

#[tokio::test]
async fn json_logs_carry_the_request_id_of_each_request() {
    let t = TestApp::new(Kind::Sqlite).await.unwrap();
    let server = Server::start(&t.url, &["--log-format", "json"]).await;
    let res = get_with_id(&server, "/api/runs/424242", "json-log-test-1").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-request-id"], "json-log-test-1");
    server.wait_for_log("json-log-test-1", Duration::from_secs(10)).await;
    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["fields"]["message"].as_str().is_some_and(|m| m.contains("listening on"))));
    let mine: Vec<&Value> = lines.iter().filter(|l| l["span"]["request_id"] == "json-log-test-1").collect();
    let answer = mine
        .iter()
        .find(|l| l["fields"]["status"] == 404)
        .unwrap_or_else(|| panic!("no access line with the status for the request: {mine:?}"));
    assert_eq!(answer["level"], "INFO");
    assert_eq!(answer["span"]["path"], "/api/runs/424242");
    assert_eq!(answer["span"]["method"], "GET");
    assert!(answer["spans"].as_array().unwrap().iter().any(|s| s["request_id"] == "json-log-test-1"));
    assert!(lines.iter().all(|l| l["timestamp"].is_string() && l["level"].is_string()));
}

#[tokio::test]
async fn text_logs_name_the_request_in_its_span() {
    let t = TestApp::new(Kind::Sqlite).await.unwrap();
    let server = Server::start(&t.url, &[]).await;
    let res = get_with_id(&server, "/healthz", "text-log-test-2").await;
    assert_eq!(res.status(), 200);
    let generated = get_with_id(&server, "/readyz", "").await;
    server.wait_for_log("request_id=text-log-test-2", Duration::from_secs(10)).await;
    let line = server.log().lines().find(|l| l.contains("request_id=text-log-test-2")).unwrap().to_string();
    assert!(line.contains("path=/healthz") && line.contains("status=200"), "{line}");
    // A request without a usable id (empty, or over 128 characters) gets one, and it is the one logged.
    let long = get_with_id(&server, "/healthz", &"x".repeat(129)).await;
    for res in [generated, long] {
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 36, "a new UUID: {id}");
        server.wait_for_log(&format!("request_id={id}"), Duration::from_secs(10)).await;
    }
    assert!(!server.log().contains('\u{1b}'), "no terminal colours in a log file");
}
