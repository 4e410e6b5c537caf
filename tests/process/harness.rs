//! Start `assay serve` (the binary cargo built for these tests) on a database, talk to it over
//! HTTP, signal it, and check what it left in the database.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use assay::server::sql::Db;
use assay::server::store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_assay");

/// A running `assay serve`, its stderr in a file. Killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub addr: std::net::SocketAddr,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Serve `db_url` on a free loopback port; returns once `/readyz` answers 200.
    pub async fn start(db_url: &str, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("server.log");
        let child = Command::new(BIN)
            .args(["--database-url", db_url, "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "info,sqlx=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).unwrap())
            .spawn()
            .expect("start the assay binary");
        let mut server = Server { child, base: String::new(), addr: "127.0.0.1:1".parse().unwrap(), log_path, _dir: dir };
        let started = Instant::now();
        let addr = loop {
            if let Some(addr) = listening_addr(&server.log()) {
                break addr;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("assay exited at start ({status}):\n{}", server.log());
            }
            assert!(started.elapsed() < Duration::from_secs(60), "assay did not start:\n{}", server.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        server.addr = addr;
        server.base = format!("http://{addr}");
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
                if r.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(60), "assay never became ready:\n{}", server.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Wait until the log contains `needle`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let started = Instant::now();
        while !self.log().contains(needle) {
            assert!(started.elapsed() < timeout, "no {needle:?} in the log within {timeout:?}:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Send a signal by name (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").args(["-s", name, &self.pid().to_string()]).status().unwrap().success();
        assert!(ok, "kill -s {name}");
    }

    /// SIGKILL, and reap the process.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The exit status, once the process has exited within `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < timeout, "assay still running after {timeout:?}:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address of "Assay listening on http://ADDR", in text or JSON logs.
fn listening_addr(log: &str) -> Option<std::net::SocketAddr> {
    let at = log.find("listening on http://")? + "listening on http://".len();
    let addr: String = log[at..].chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':')).collect();
    addr.parse().ok()
}

/// Run the binary to completion with `args`: exit status, stdout, stderr.
pub fn run_bin(args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(BIN).args(args).env("RUST_LOG", "warn").stdin(Stdio::null()).output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A JSON client of one server with one token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api { client: reqwest::Client::new(), base: base.to_string(), token: token.to_string() }
    }

    /// A request's status and JSON body, or the transport error (the server died).
    pub async fn try_send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<(StatusCode, Value), reqwest::Error> {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.try_send(method.clone(), path, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Scripts, bench `name` with `n` cases; the case ids.
    pub async fn seed_bench(&self, name: &str, n: usize) -> Vec<String> {
        for (kind, script) in [("workflow", "wf"), ("judge", "jd")] {
            let (s, e) = self.post(&format!("/api/scripts/{kind}/{script}/versions"), &json!({"source": "x", "channels": ["production"]})).await;
            assert!(s.is_success(), "{e}");
        }
        let (s, e) = self.put(&format!("/api/benches/{name}"), &json!({"workflow": "wf", "judge": "jd"})).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        let cases: Vec<String> = (0..n).map(|i| format!("{name}-{i:05}")).collect();
        let body: Vec<Value> = cases.iter().map(|c| json!({"id": c, "inputs": {"q": c}})).collect();
        let (s, e) = self.put(&format!("/api/benches/{name}/cases"), &json!({ "cases": body })).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        cases
    }

    pub async fn trigger(&self, bench: &str) -> i64 {
        let (s, run) = self.post("/api/runs", &json!({"bench": bench, "channel": "production"})).await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        run["id"].as_i64().unwrap()
    }
}

/// Rows each result of [`batch`] writes, by table (besides `results` itself).
pub const CHILDREN: [(&str, i64); 5] =
    [("scorer_results", 2), ("result_dimensions", 2), ("trace_steps", 3), ("tool_calls", 1), ("result_outputs", 1)];

/// One batch: every case at `epoch`, each result with scorers, dimensions, a trace and an output.
/// Scores and costs are dyadic fractions, so every sum is exact whatever its order.
pub fn batch(cases: &[String], epoch: i64) -> Value {
    let results: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let score = ((i as i64 + epoch) % 5) as f64 * 0.25;
            json!({
                "case_id": c, "epoch": epoch, "status": if i % 10 == 9 { "workflow_failed" } else { "ok" },
                "headline_score": score, "workflow_cost_usd": 0.125, "judge_cost_usd": 0.0625, "duration_ms": 100 + i,
                "input_tokens": 10, "output_tokens": 5,
                "output": format!("answer {i} at epoch {epoch}: {}", "lorem ipsum ".repeat(8)),
                "dimension_scores": {"accuracy": score, "tone": 0.5},
                "scorer_results": [{"scorer_name": "exact", "score": score, "passed": score >= 0.5, "reason": "r", "dimension": "accuracy"},
                                   {"scorer_name": "tone", "score": 0.5}],
                "trace": {"steps": [{"index": 0, "type": "llm", "name": "plan", "output": "p"}, {"index": 1, "type": "tool", "name": "call"},
                                    {"index": 2, "type": "llm", "name": "answer", "output": {"text": c}}],
                          "tool_calls": [{"step_index": 1, "tool_name": "lookup", "arguments": {"id": i}, "result": "found", "duration_ms": 3}]}
            })
        })
        .collect();
    json!({ "results": results })
}

/// Which epochs of `run` are stored, after checking each is whole: `k` results, every child
/// row of every result. Panics on any batch stored in part.
pub async fn whole_epochs(db: &Db, run: i64, k: i64) -> BTreeSet<i64> {
    let counts = |sql: String| async move {
        db.all::<(i64, i64)>(&sql, vec![run.into()]).await.unwrap().into_iter().collect::<BTreeMap<i64, i64>>()
    };
    let results = counts("SELECT epoch, COUNT(*) FROM results WHERE run_id = $1 GROUP BY epoch".into()).await;
    for (epoch, n) in &results {
        assert_eq!(*n, k, "epoch {epoch}: {n} of {k} results stored — a batch in part");
    }
    for (table, per) in CHILDREN {
        let got = counts(format!(
            "SELECT r.epoch, COUNT(*) FROM {table} c JOIN results r ON r.id = c.result_id WHERE r.run_id = $1 GROUP BY r.epoch"
        ))
        .await;
        let want: BTreeMap<i64, i64> = results.keys().map(|e| (*e, k * per)).collect();
        assert_eq!(got, want, "{table} rows per epoch");
    }
    results.into_keys().collect()
}

/// The run as the server answers it equals a recount of its rows.
pub async fn aggregates_match_a_recount(api: &Api, store: &Store, run: i64) -> Value {
    let (s, live) = api.get(&format!("/api/runs/{run}")).await;
    assert_eq!(s, StatusCode::OK, "{live}");
    // Through JSON text, as the live answer came: serde_json's float parsing (without its
    // float_roundtrip feature) can be one ULP off, the same way for both sides.
    let recount: Value = serde_json::from_str(&serde_json::to_string(&store.recomputed_run(run).await.unwrap()).unwrap()).unwrap();
    assert_eq!(live, recount, "stored aggregates vs a recount of the rows");
    live
}
