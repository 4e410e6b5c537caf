//! `/api/openapi.json` describes every route, and every route it describes is served.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{Kind, TestApp};

/// The JSON routes of SPEC §2, §3 and §3b (events are their own issue).
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
    ("get", "/bench-runs/{id}"),
    ("get", "/bench-runs/{id}/results"),
    ("post", "/bench-runs/{id}/cancel"),
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
