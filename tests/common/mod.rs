//! Test harness: the real router over a real database — a fresh SQLite file, or a fresh
//! database on the PostgreSQL server named by `ASSAY_TEST_POSTGRES_URL` (`make test` starts one).
#![allow(dead_code)]

pub mod sse;

use std::sync::atomic::{AtomicU64, Ordering};

use assay::server::config::AuthMode;
use assay::server::events::Events;
use assay::server::sql::Db;
use assay::server::state::AppState;
use assay::server::store::{Scope, Store};
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::Connection;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Router,
    pub store: Store,
    /// The app's live events hub (its subscriber counts).
    pub events: Events,
    /// A connection of the test's own to the same database, to inspect tables directly.
    pub db: Db,
    pub read: String,
    pub write: String,
    pub admin: String,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database URL for a fresh, empty database of `kind`, or None when PostgreSQL tests are
/// explicitly skipped. Without `ASSAY_TEST_POSTGRES_URL` the PostgreSQL tests fail rather than
/// pass silently, so CI can never skip them by accident.
pub async fn fresh_url(kind: Kind) -> Option<(String, Option<tempfile::TempDir>)> {
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("assay.db").display());
            Some((url, Some(dir)))
        }
        Kind::Postgres => {
            let base = match std::env::var("ASSAY_TEST_POSTGRES_URL") {
                Ok(u) if !u.is_empty() => u,
                _ if std::env::var("ASSAY_SKIP_POSTGRES").is_ok_and(|v| v == "1") => {
                    eprintln!("skipping PostgreSQL test: ASSAY_SKIP_POSTGRES=1");
                    return None;
                }
                _ => panic!(
                    "ASSAY_TEST_POSTGRES_URL is not set: run `make test` (which starts PostgreSQL) or set \
                     ASSAY_SKIP_POSTGRES=1 to skip the PostgreSQL half"
                ),
            };
            let name = format!(
                "assay_t_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand_suffix()
            );
            let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect to test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
            conn.close().await.ok();
            let (head, _) = base.rsplit_once('/').expect("postgres URL has a database path");
            Some((format!("{head}/{name}"), None))
        }
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

impl TestApp {
    pub async fn new(kind: Kind) -> Option<TestApp> {
        Self::with_auth(kind, AuthMode::Open).await
    }

    pub async fn with_auth(kind: Kind, auth: AuthMode) -> Option<TestApp> {
        let (url, dir) = fresh_url(kind).await?;
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let (_, read) = store.create_token("test-read", Scope::Read).await.unwrap();
        let (_, write) = store.create_token("test-write", Scope::Write).await.unwrap();
        let (_, admin) = store.create_token("test-admin", Scope::Admin).await.unwrap();
        let leptos_options = leptos::config::LeptosOptions::builder().output_name("assay").build();
        let state = AppState::new(store.clone(), auth.into(), leptos_options).await.expect("start the events hub");
        let events = state.events.clone();
        let app = assay::server::app(state);
        let db = Db::connect(&url).await.expect("connect the test's own pool");
        Some(TestApp { app, store, events, db, read, write, admin, url, _dir: dir })
    }

    pub fn kind(&self) -> Kind {
        if self.url.starts_with("postgres") {
            Kind::Postgres
        } else {
            Kind::Sqlite
        }
    }

    /// Send a request; the answer's status and JSON body (`Value::Null` when empty or not JSON).
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Vec<u8>>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req = req.header("content-type", "application/json");
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Serve the app on a loopback socket for a real HTTP client; its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = self.app.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    /// GET `path` accepting `encoding` (with a bearer `token`): the status, the headers and the
    /// body, read to its end and decoded from the Content-Encoding answered.
    pub async fn get_decoded(&self, path: &str, encoding: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
        use std::io::Read;
        let mut req = Request::get(path).header(header::ACCEPT_ENCODING, encoding);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let res = self.app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let raw = res.into_body().collect().await.expect("the body streams to its end").to_bytes();
        let mut out = Vec::new();
        match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()) {
            None => out.extend_from_slice(&raw),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).expect("a whole gzip stream");
            }
            Some("br") => {
                brotli::Decompressor::new(&raw[..], 4096).read_to_end(&mut out).expect("a whole brotli stream");
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
        (status, headers, out)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(&self.write.clone()), Some(body.to_string().into_bytes())).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(&self.write.clone()), Some(body.to_string().into_bytes())).await
    }

    /// Publish a workflow and a judge, create bench `name` with `cases` case ids.
    pub async fn seed_bench(&self, name: &str, cases: &[&str]) {
        let (s, _) = self
            .post("/api/scripts/workflow/wf/versions", json!({"source": "def run(): pass", "channels": ["production", "canary"]}))
            .await;
        assert!(s.is_success(), "publish workflow: {s}");
        let (s, _) = self
            .post("/api/scripts/judge/jd/versions", json!({"source": "def judge(): pass", "channels": ["production"]}))
            .await;
        assert!(s.is_success(), "publish judge: {s}");
        let (s, b) = self.put(&format!("/api/benches/{name}"), json!({"workflow": "wf", "judge": "jd"})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let cases: Vec<Value> = cases.iter().map(|c| json!({"id": c, "name": format!("Case {c}"), "inputs": {"q": c}})).collect();
        let (s, b) = self.put(&format!("/api/benches/{name}/cases"), json!({"cases": cases})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    /// Trigger a run on `channel` and return its id.
    pub async fn trigger(&self, bench: &str, channel: &str) -> i64 {
        let (s, run) = self.post("/api/runs", json!({"bench": bench, "channel": channel})).await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        run["id"].as_i64().unwrap()
    }

    /// Row counts of every table, to prove a refused request wrote nothing.
    pub async fn table_counts(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for t in [
            "scripts", "script_versions", "channels", "channel_history", "benches", "cases", "case_tags", "runs",
            "run_cases", "run_dimensions", "results", "result_outputs", "scorer_results", "result_dimensions",
            "trace_steps", "tool_calls",
        ] {
            let (n,): (i64,) = self.db.one(&format!("SELECT COUNT(*) FROM {t}"), vec![]).await.unwrap();
            out.push((t.to_string(), n));
        }
        out
    }

    /// The stored columns of one run (status, sums), to prove a refused request changed nothing.
    pub async fn run_json(&self, id: i64) -> Value {
        serde_json::to_value(self.store.get_run(id).await.unwrap()).unwrap()
    }
}

/// Generate one `#[tokio::test]` per backend for each async test function `name(TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::common::TestApp::new(super::common::Kind::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = super::common::TestApp::new(super::common::Kind::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

pub fn approx(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|x| (x - b).abs() < 1e-9)
}
