//! `/healthz`, `/readyz` and request ids, through the real router.

use assay::server::config::AuthMode;
use assay::server::state::AppState;
use assay::server::sql::{Backend, Db};
use assay::server::store::Store;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::common::{self, Kind, TestApp};

crate::on_both_backends!(
    probes_answer_without_a_token,
    readyz_refuses_a_schema_that_is_not_current,
    a_database_that_does_not_answer_is_a_503_and_5xx_answers_carry_the_request_id,
);

/// GET with optional `x-request-id`: status, the answer's `x-request-id`, JSON body.
async fn get(app: &axum::Router, path: &str, id: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::get(path);
    if let Some(id) = id {
        req = req.header("x-request-id", id);
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let rid = res.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, rid, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn probes_answer_without_a_token(t: TestApp) {
    let t = TestApp::with_auth(t.kind(), AuthMode::Required).await.unwrap();
    let (s, _, e) = get(&t.app, "/api/runs", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "reads need a token here: {e}");
    let (s, _, h) = get(&t.app, "/healthz", None).await;
    assert_eq!((s, h), (StatusCode::OK, json!({"status": "ok"})));
    let (s, _, r) = get(&t.app, "/readyz", None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "ready");
    assert_eq!(r["database"], if t.kind() == Kind::Sqlite { "sqlite" } else { "postgres" });
    let (applied,): (i64,) = t.db.one("SELECT COUNT(*) FROM _sqlx_migrations", vec![]).await.unwrap();
    assert!(applied >= 3);
    assert_eq!(r["migrations"], applied);
    // Both probes are in the OpenAPI document, without a security requirement.
    let doc = assay::server::api::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    for p in ["/healthz", "/readyz"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} documented");
        assert!(doc["paths"][p]["get"]["security"].is_null(), "{p} needs no token");
    }
    assert!(doc["paths"]["/readyz"]["get"]["responses"]["503"].is_object());
}

async fn readyz_refuses_a_schema_that_is_not_current(t: TestApp) {
    let ready = || async { get(&t.app, "/readyz", None).await };
    let (last, sum): (i64, Vec<u8>) =
        t.db.one("SELECT version, checksum FROM _sqlx_migrations ORDER BY version DESC LIMIT 1", vec![]).await.unwrap();
    let sql = |s: &str| s.replace("{v}", &last.to_string());
    let exec = |q: String| {
        let db = t.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            tx.exec(&q, vec![]).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    exec(sql("UPDATE _sqlx_migrations SET checksum = checksum || checksum WHERE version = {v}")).await;
    let (s, _, e) = ready().await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(e["error"]["code"], "not_ready");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("migration {last} was applied from a different file")), "{e}");
    exec(sql("UPDATE _sqlx_migrations SET success = false WHERE version = {v}")).await;
    let (s, _, e) = ready().await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(e["error"]["message"].as_str().unwrap().contains("failed part-way"), "{e}");
    exec(sql("UPDATE _sqlx_migrations SET success = true WHERE version = {v}")).await;
    // Put the true checksum back through a typed bind: the schema is current again.
    restore_checksum(&t.db, last, &sum).await;
    let (s, _, r) = ready().await;
    assert_eq!(s, StatusCode::OK, "{r}");
    exec(sql("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) SELECT 99990001, 'future', true, checksum, 0 FROM _sqlx_migrations WHERE version = {v}")).await;
    let (s, _, e) = ready().await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(e["error"]["message"].as_str().unwrap().contains("newer Assay"), "{e}");

    // A database never migrated: every migration pending.
    let (url, _dir) = common::fresh_url(t.kind()).await.unwrap();
    let bare = Store::connect(&url).await.unwrap();
    let app = app_on(bare.clone()).await;
    let (s, _, e) = get(&app, "/readyz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("migrations are pending"), "{e}");
    bare.migrate().await.unwrap();
    let (s, _, _) = get(&app, "/readyz", None).await;
    assert_eq!(s, StatusCode::OK, "ready once migrated");
}

/// sqlx writes checksums as a BLOB / BYTEA; put one back byte for byte.
async fn restore_checksum(db: &Db, version: i64, sum: &[u8]) {
    let hex_sum = hex::encode(sum);
    let q = match db.backend() {
        Backend::Sqlite => format!("UPDATE _sqlx_migrations SET checksum = X'{hex_sum}' WHERE version = {version}"),
        Backend::Postgres => {
            format!("UPDATE _sqlx_migrations SET checksum = decode('{hex_sum}', 'hex') WHERE version = {version}")
        }
    };
    let mut tx = db.begin().await.unwrap();
    tx.exec(&q, vec![]).await.unwrap();
    tx.commit().await.unwrap();
}

async fn app_on(store: Store) -> axum::Router {
    let leptos_options = leptos::config::LeptosOptions::builder().output_name("assay").build();
    assay::server::app(AppState::new(store, AuthMode::Open.into(), leptos_options).await.expect("start the events hub"))
}

async fn a_database_that_does_not_answer_is_a_503_and_5xx_answers_carry_the_request_id(t: TestApp) {
    // Every answer names its request: a new id each time, or the client's own.
    let (s, a, _) = get(&t.app, "/api/runs", None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, b, _) = get(&t.app, "/api/no/such/route", None).await;
    let (_, c, _) = get(&t.app, "/runs", None).await;
    let ids: Vec<String> = [a, b, c].into_iter().map(|i| i.expect("x-request-id on every answer")).collect();
    for id in &ids {
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    let (_, mine, _) = get(&t.app, "/api/runs", Some("ci-job-17/step-3")).await;
    assert_eq!(mine.as_deref(), Some("ci-job-17/step-3"), "a client's id passes through");
    let (_, _, ok) = get(&t.app, "/api/runs", Some("x")).await;
    assert!(ok["error"].is_null(), "no error field on success");

    // The database goes away: reads are 5xx and say which request failed; readiness is 503.
    t.store.close().await;
    let (s, rid, e) = get(&t.app, "/api/runs", Some("req-after-close")).await;
    assert!(s.is_server_error(), "{s} {e}");
    assert_eq!(rid.as_deref(), Some("req-after-close"));
    assert_eq!(e["error"]["request_id"], "req-after-close", "{e}");
    assert!(!e["error"]["message"].as_str().unwrap().contains("closed"), "internals stay in the log: {e}");
    let (s, rid, e) = get(&t.app, "/readyz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("does not answer"), "{e}");
    assert_eq!(e["error"]["request_id"].as_str(), rid.as_deref(), "a generated id is in the body too");
    let (s, _, h) = get(&t.app, "/healthz", None).await;
    assert_eq!((s, h), (StatusCode::OK, json!({"status": "ok"})), "the process itself is still up");
}
