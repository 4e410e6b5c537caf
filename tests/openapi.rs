//! `/api/openapi.json` describes every route, and every route it describes is served.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{Kind, TestApp};

/// The JSON routes of SPEC §2, §3 and §3b, event streams included.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/scripts/{kind}/{name}/versions"),
    ("get", "/api/scripts/{kind}/{name}/versions/{number}"),
    ("put", "/api/scripts/{kind}/{name}/channels/{channel}"),
    ("get", "/api/scripts/{kind}/{name}/channels/{channel}"),
    ("put", "/api/benches/{bench}"),
    ("get", "/api/benches/{bench}"),
    ("get", "/api/benches"),
    ("put", "/api/benches/{bench}/cases"),
    ("post", "/api/runs"),
    ("get", "/api/runs"),
    ("get", "/api/runs/{id}"),
    ("delete", "/api/runs/{id}"),
    ("post", "/api/runs/{id}/results"),
    ("get", "/api/runs/{id}/results"),
    ("get", "/api/runs/{id}/results/{case_id}"),
    ("get", "/api/runs/{id}/stats"),
    ("get", "/api/runs/{a}/compare/{b}"),
    ("get", "/api/compare"),
    ("get", "/api/benches/{bench}/flaky"),
    ("get", "/api/benches/{bench}/compare"),
    ("post", "/api/runs/{id}/complete"),
    ("post", "/api/runs/{id}/fail"),
    ("post", "/api/runs/{id}/cancel"),
    ("post", "/api/import"),
    ("post", "/api/import/stream"),
    ("get", "/bench-runs/{id}"),
    ("get", "/bench-runs/{id}/results"),
    ("post", "/bench-runs/{id}/cancel"),
    ("get", "/api/runs/{id}/events"),
    ("get", "/bench-runs/{id}/events"),
    ("get", "/api/events"),
    ("get", "/bench-runs/{a}/compare/{b}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
];

#[tokio::test]
async fn openapi_document_lists_every_route_and_every_listed_route_is_served() {
    let t = TestApp::new(Kind::Sqlite).await.unwrap();
    let (s, doc) = t.get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, expected, "documented routes");
    // Schemas of the wire types are in the document.
    for schema in [
        "Run", "ResultDetail", "ResultInput", "ErrorBody", "TriggerRun", "RunStats", "ResultStatus", "CompareReport",
        "CompareCase", "Significance", "NWayReport", "FlakyReport", "FlakyCase", "FlakyInCompare",
        "Lagged", "Terminal", "Progress",
    ] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "schema {schema}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every documented route is served: it answers JSON, never the API's "no such route" 404 or 405.
    for (method, path) in &documented {
        let concrete = path
            .replace("{kind}", "workflow")
            .replace("{name}", "nobody")
            .replace("{number}", "1")
            .replace("{channel}", "production")
            .replace("{bench}", "nobench")
            .replace("{id}", "999")
            .replace("{a}", "998")
            .replace("{b}", "999")
            .replace("{case_id}", "x");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = matches!(m, Method::POST | Method::PUT).then(|| b"{}".to_vec());
        let (s, answer) = t.send(m, &concrete, Some(&t.admin), body).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(answer.is_object() || answer.is_array() || s == StatusCode::NO_CONTENT, "{method} {path}: {s} {answer}");
        assert_ne!(answer["error"]["message"], "no such API route", "{method} {path}");
    }
    let (s, e) = t.get("/api/no/such/route").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["message"], "no such API route");
}

/// The document states the server's checks exactly where a fuzzer reads them: the patterns and
/// bounds of the request schemas are the ones the checks use, and every operation lists the
/// answers its kind can give.
#[test]
fn request_schemas_carry_the_checks_and_operations_their_answers() {
    use assay::server::store::input::json_schema::{CASE_ID, MAX_COST, MAX_COUNT, MAX_SCORE_MAX, NAME, SLUG, TIMESTAMP};
    let doc = serde_json::to_value(assay::server::api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    // Schemas with cross-field rules are `allOf: [the struct, {anyOf: …}]`.
    let props = |name: &str| {
        let s = &schemas[name];
        let s = if s["allOf"].is_array() { &s["allOf"][0] } else { s };
        s["properties"].clone()
    };
    for (schema, field, pattern) in [
        ("TriggerRun", "channel", SLUG),
        ("PutBench", "judge_channel", SLUG),
        ("CaseInput", "id", CASE_ID),
        ("ResultInput", "case_id", CASE_ID),
        ("ImportBench", "name", SLUG),
        ("ImportScript", "name", NAME),
        ("ImportRun", "channel", SLUG),
        ("ImportRun", "triggered_at", TIMESTAMP),
        ("ImportRun", "completed_at", TIMESTAMP),
    ] {
        assert_eq!(props(schema)[field]["pattern"], pattern, "{schema}.{field}");
    }
    assert_eq!(props("PublishVersion")["channels"]["items"]["pattern"], SLUG);
    assert_eq!(props("TriggerRun")["case_ids"]["items"]["pattern"], CASE_ID);
    for field in ["duration_ms", "input_tokens", "output_tokens", "tool_tokens", "tokens_used"] {
        assert_eq!(props("ResultInput")[field]["maximum"], MAX_COUNT, "{field}");
        assert_eq!(props("ResultInput")[field]["minimum"], 0, "{field}");
    }
    for field in ["cost_usd", "workflow_cost_usd", "judge_cost_usd"] {
        assert_eq!(props("ResultInput")[field]["maximum"], MAX_COST, "{field}");
    }
    assert_eq!(props("ResultInput")["epoch"]["minimum"], 1);
    assert_eq!(props("PutBench")["score_max"]["maximum"], MAX_SCORE_MAX);
    assert_eq!(schemas["ResultsBody"]["properties"]["results"]["maxItems"], assay::server::store::MAX_BATCH);
    let param = |path: &str, method: &str, name: &str| {
        doc["paths"][path][method]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["schema"].clone()
    };
    assert_eq!(param("/api/benches/{bench}", "put", "bench")["pattern"], SLUG);
    assert_eq!(param("/api/scripts/{kind}/{name}/versions", "post", "name")["pattern"], NAME);
    assert_eq!(param("/api/scripts/{kind}/{name}/channels/{channel}", "put", "channel")["pattern"], SLUG);
    // What each operation can answer, by what it is.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let has = |code: &str| op["responses"][code].is_object();
            if ["/healthz", "/readyz"].contains(&path.as_str()) {
                assert!(!has("401"), "{method} {path} is public");
                continue;
            }
            assert!(has("401") && has("503"), "{method} {path}");
            if op["requestBody"].is_object() {
                for code in ["400", "413", "415", "422"] {
                    assert!(has(code), "{method} {path} has a body: {code}");
                }
            }
            if op["security"].is_array() {
                assert!(has("403"), "{method} {path} needs a scope: 403");
            }
            if path.contains('{') {
                assert!(has("404"), "{method} {path} names something: 404");
            }
        }
    }
}
