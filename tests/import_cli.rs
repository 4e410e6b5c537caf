//! The real `assay` binary: `assay import --server` against a real `assay serve` started here, on
//! SQLite and on PostgreSQL, and `assay import` into a local database (and `--dry-run`), with its
//! progress bars on a terminal.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{fresh_url, Kind};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

fn assay(database_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assay"));
    c.env("DATABASE_URL", database_url).env_remove("ASSAY_SERVER").env_remove("ASSAY_TOKEN").env("RUST_LOG", "warn");
    c
}

fn run(c: &mut Command) -> (i32, String) {
    let Output { status, stdout, stderr } = c.output().expect("run assay");
    let text = format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
    (status.code().unwrap_or(-1), text)
}

/// A real `assay serve` on a free loopback port, stopped on drop.
struct Server {
    child: Child,
    base: String,
    token: String,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    async fn start(kind: Kind) -> Option<Server> {
        let (url, dir) = fresh_url(kind).await?;
        let (code, out) = run(assay(&url).args(["token", "create", "--name", "ci", "--scope", "write"]));
        assert_eq!(code, 0, "{out}");
        // The secret is printed alone on the last line.
        let token = out.lines().rev().find(|l| !l.trim().is_empty()).expect("secret").trim().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = assay(&url)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start assay serve");
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), token, _dir: dir };
        let started = Instant::now();
        while server.get("/api/benches").is_none() {
            assert!(started.elapsed() < Duration::from_secs(60), "assay serve did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }

    fn get(&self, path: &str) -> Option<Value> {
        let mut res = ureq::get(&format!("{}{path}", self.base)).call().ok()?;
        let text = res.body_mut().read_to_string().ok()?;
        Some(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn runs(&self, query: &str) -> Vec<Value> {
        self.get(&format!("/api/runs?limit=200&{query}")).expect("runs")["runs"].as_array().unwrap().clone()
    }

    fn import(&self, files: &[&Path]) -> (i32, String) {
        let mut c = assay("sqlite::memory:");
        c.args(["import", "--server", &self.base, "--token", &self.token]).args(files);
        run(&mut c)
    }
}

async fn pushes_to_a_real_server(kind: Kind) {
    let Some(s) = Server::start(kind).await else { return };
    let (arith, capitals, started) = (fixture("arith.eval"), fixture("capitals.json"), fixture("started.eval"));
    let (code, out) = s.import(&[&arith, &capitals, &started]);
    assert_eq!(code, 1, "a refused file makes the exit non-zero: {out}");
    assert!(out.contains("arith.eval (Inspect AI .eval log): imported as run #"), "{out}");
    assert!(out.contains("started.eval (Inspect AI .eval log): refused, nothing written") && out.contains("still being written"), "{out}");
    assert!(out.contains("3 file(s): 7 run(s) imported (40 results), 0 run(s) already imported, 1 file(s) refused"), "{out}");
    let a = s.runs("meta.source_file=arith.eval");
    assert_eq!(a.len(), 1);
    assert_eq!((a[0]["status"].as_str(), a[0]["results_count"].as_i64(), a[0]["passed"].as_i64()), (Some("completed"), Some(10), Some(4)));
    assert_eq!(a[0]["verdicts_from_source"], true, "--server sends the source's verdicts");
    let c = s.runs("meta.source_file=capitals.json");
    assert_eq!(c.len(), 6);
    assert!(c.iter().all(|r| r["results_count"] == 5 && r["failed"] == 2), "{c:?}");

    let (code, out) = s.import(&[&arith, &capitals]);
    assert_eq!(code, 0, "everything already there exits 0: {out}");
    assert!(out.contains(&format!("already imported as run #{}", a[0]["id"])), "{out}");
    assert!(out.contains("0 run(s) imported (0 results), 7 run(s) already imported, 0 file(s) refused"), "{out}");
    assert_eq!(s.runs("").len(), 7);

    // A file that breaks in the middle, and one the server refuses, write nothing there.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("tools.eval")).unwrap();
    let cut = dir.path().join("cut.eval");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(fixture("repeat.jsonl")).unwrap().split(|b| *b == b'\n').next().unwrap()).unwrap();
    doc["score"] = serde_json::json!(-1);
    let mut text = std::fs::read_to_string(fixture("repeat.jsonl")).unwrap();
    text.push_str(&format!("{doc}\n"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, text).unwrap();
    let (code, out) = s.import(&[&cut, &bad]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("truncated"), "{out}");
    assert!(out.contains("bad.jsonl (promptfoo .jsonl export): refused, nothing written: line 13 (headline_score)"), "{out}");
    assert_eq!(s.runs("").len(), 7, "nothing written");

    let mut c = assay("sqlite::memory:");
    let (code, out) = run(c.args(["import", "--server", &s.base, "--token", "nope"]).arg(&arith));
    assert_eq!(code, 1);
    assert!(out.contains("refused, nothing written"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_to_a_real_server_on_sqlite() {
    pushes_to_a_real_server(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_to_a_real_server_on_postgres() {
    pushes_to_a_real_server(Kind::Postgres).await;
}

async fn imports_into_a_local_database(kind: Kind) {
    let Some((url, _dir)) = fresh_url(kind).await else { return };
    let (code, out) = run(assay(&url).args(["import", "--dry-run"]).arg(fixture("")));
    assert_eq!(code, 1, "started.eval is refused: {out}");
    assert!(out.contains("would import 6 run(s), 30 results"), "{out}");
    let store = assay::server::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let db = assay::server::sql::Db::connect(&url).await.unwrap();
    let count = |db: assay::server::sql::Db| async move { db.one::<(i64,)>("SELECT COUNT(*) FROM runs", vec![]).await.unwrap().0 };
    assert_eq!(count(db.clone()).await, 0, "a dry run writes nothing");
    let (code, out) = run(assay(&url).args(["import", "--bench", "mine", "--channel", "ci"]).arg(fixture("tools.eval")).arg(fixture("repeat.jsonl")));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("on bench mine"), "{out}");
    assert!(!out.contains('\u{1b}'), "no progress bars (nor any escape code) when stderr is not a terminal: {out}");
    assert_eq!(count(db.clone()).await, 3);
    let (code, out) = run(assay(&url).args(["import", "--bench", "not a slug"]).arg(fixture("tools.eval")));
    assert_eq!(code, 1);
    assert!(out.contains("--bench 'not a slug'"), "{out}");
    store.close().await;
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_into_a_local_database_on_sqlite() {
    imports_into_a_local_database(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_into_a_local_database_on_postgres() {
    imports_into_a_local_database(Kind::Postgres).await;
}

/// Quoted for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), the bars are drawn — a file's
/// (percent and results) and the overall one (bytes and files) — and the per-file lines and the
/// summary are still printed.
async fn draws_progress_bars_on_a_terminal(kind: Kind) {
    let Some((url, _dir)) = fresh_url(kind).await else { return };
    let args = [env!("CARGO_BIN_EXE_assay").to_string(), "import".into()]
        .into_iter()
        .chain(["capitals.json", "arith.eval"].iter().map(|f| fixture(f).display().to_string()));
    let cmd = args.map(|a| sh_quote(&a)).collect::<Vec<_>>().join(" ");
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &cmd, "/dev/null"]).env("DATABASE_URL", &url).env("TERM", "xterm").env("SHELL", "/bin/sh");
    let (code, out) = run(script.env_remove("ASSAY_SERVER").env_remove("ASSAY_TOKEN").stdin(Stdio::null()));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("results · "), "a file's bar: {out:?}");
    assert!(out.contains(" files · "), "the overall bar: {out:?}");
    assert!(out.contains("capitals.json (promptfoo export): imported as run"), "{out:?}");
    assert!(out.contains("arith.eval (Inspect AI .eval log): imported as run"), "{out:?}");
    assert!(out.contains("2 file(s): 7 run(s) imported (40 results), 0 run(s) already imported, 0 file(s) refused"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_progress_bars_on_a_terminal_on_sqlite() {
    draws_progress_bars_on_a_terminal(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_progress_bars_on_a_terminal_on_postgres() {
    draws_progress_bars_on_a_terminal(Kind::Postgres).await;
}
