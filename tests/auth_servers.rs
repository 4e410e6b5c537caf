//! Two real `assay serve --auth required` processes on one database accept each other's
//! sessions; a sign-out on one and `assay token revoke` in a third process end a session on
//! both at once. Run on SQLite and PostgreSQL.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestApp;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_assay");

/// A running `assay serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `assay serve --auth required` on a free port of the loopback and wait until it listens.
fn serve(url: &str) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--auth", "required", "--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info,sqlx=warn")
        .env_remove("ASSAY_AUTH")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start assay serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Read the log on a thread (a dead server closes it); keep draining so the pipe never fills.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            }
        }
    });
    let base = rx.recv_timeout(Duration::from_secs(60)).expect("assay serve reports its address");
    Server { child, base }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Sign in on `server`; the `assay_session=…` pair of its one cookie.
async fn sign_in(server: &Server, token: &str) -> String {
    let res = client()
        .post(format!("{}/login?next=%2Fruns", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/runs");
    let cookies: Vec<_> = res.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 1);
    cookies[0].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn page(server: &Server, path: &str, cookie: &str) -> (StatusCode, String) {
    let res = client().get(format!("{}{path}", server.base)).header("cookie", cookie).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn two_servers_share_sessions_and_revocation_reaches_both(t: TestApp) {
    let (a, b) = (serve(&t.url), serve(&t.url));
    assert_ne!(a.base, b.base);
    // Signed in on A, recognised by B.
    let cookie = sign_in(&a, &t.read).await;
    let (s, body) = page(&b, "/runs", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("Signed in as <strong>test-read"), "{body:.400}");
    let (s, _) = page(&b, "/api/runs", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    // Signed out on B: A refuses it at once.
    let res = client().post(format!("{}/logout", b.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, _) = page(&a, "/runs", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // A token revoked by the CLI in a third process, while both serve: its sessions end on both.
    let cookie = sign_in(&b, &t.read).await;
    assert_eq!(page(&a, "/", &cookie).await.0, StatusCode::OK);
    let out = Command::new(BIN).args(["token", "revoke", "test-read"]).env("DATABASE_URL", &t.url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for server in [&a, &b] {
        let (s, _) = page(server, "/runs", &cookie).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{}", server.base);
        let (s, _) = page(server, "/api/runs", &cookie).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{}", server.base);
    }
    let res = client().get(format!("{}/api/runs", a.base)).bearer_auth(&t.read).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the bearer token is dead too");
    // Another token signs in as before.
    let cookie = sign_in(&a, &t.admin).await;
    assert_eq!(page(&b, "/runs", &cookie).await.0, StatusCode::OK);
}

on_both_backends!(two_servers_share_sessions_and_revocation_reaches_both);
