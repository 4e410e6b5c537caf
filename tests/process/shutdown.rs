//! SIGTERM and Ctrl-C: the server stops accepting, lets a batch in flight commit and answers
//! it, then exits 0; a request still running past the grace period is dropped and writes nothing;
//! live event streams end with a last comment, so they do not hold the shutdown open.

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::common::{self, TestApp};
use super::harness::{aggregates_match_a_recount, batch, whole_epochs, Api, Server};

crate::on_both_backends!(
    sigterm_lets_a_batch_in_flight_commit_then_exits_0,
    ctrl_c_bounds_the_wait_and_drops_what_is_still_running,
    sigterm_ends_live_event_streams_with_a_last_comment,
);

const K: usize = 2_000;

/// Start a `POST /api/runs/{run}/results` by hand: the head and the first half of the body.
/// The rest of the body is returned, to be sent later.
async fn start_upload(server: &Server, token: &str, run: i64, body: &[u8]) -> (TcpStream, Vec<u8>) {
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/runs/{run}/results HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let half = body.len() / 2;
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..half]).await.unwrap();
    conn.flush().await.unwrap();
    // Let the server read the head and start on the body: the request is in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (conn, body[half..].to_vec())
}

/// The status line and JSON body of a whole HTTP/1.1 answer read to the end of the connection.
async fn read_answer(mut conn: TcpStream) -> (u16, Value) {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut raw)).await.expect("an answer").unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not HTTP: {text}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn sigterm_lets_a_batch_in_flight_commit_then_exits_0(t: TestApp) {
    let mut server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    let cases = api.seed_bench("term", K).await;
    let run = api.trigger("term").await;
    let body = batch(&cases, 1).to_string().into_bytes();
    let (mut conn, rest) = start_upload(&server, &t.write, run, &body).await;

    server.signal("TERM");
    server.wait_for_log("SIGTERM: shutting down", Duration::from_secs(10)).await;
    // No new connections: the listener closes (the accept loop sees the signal a moment after
    // the log line, so poll), while the batch in flight is still waiting for its second half.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(server.addr).await.is_ok() {
        assert!(Instant::now() < deadline, "new connections still accepted 5 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The batch in flight finishes, commits and is acknowledged.
    conn.write_all(&rest).await.unwrap();
    let (status, counts) = read_answer(conn).await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["inserted"], K);
    let exit = server.wait_exit(Duration::from_secs(15)).await;
    assert_eq!(exit.code(), Some(0), "{exit}:\n{}", server.log());
    assert!(server.log().contains("shut down cleanly"), "{}", server.log());

    let server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    assert_eq!(whole_epochs(&t.db, run, K as i64).await.into_iter().collect::<Vec<_>>(), vec![1]);
    let live = aggregates_match_a_recount(&api, &t.store, run).await;
    assert_eq!(live["results_count"], K);
}

async fn ctrl_c_bounds_the_wait_and_drops_what_is_still_running(t: TestApp) {
    let mut server = Server::start(&t.url, &["--shutdown-grace", "1"]).await;
    let api = Api::new(&server.base, &t.write);
    let cases = api.seed_bench("int", 50).await;
    let run = api.trigger("int").await;
    let before = api.get(&format!("/api/runs/{run}")).await.1;
    // A client that sends half a batch and then hangs.
    let body = batch(&cases, 1).to_string().into_bytes();
    let (conn, _never_sent) = start_upload(&server, &t.write, run, &body).await;

    let signalled = Instant::now();
    server.signal("INT");
    let exit = server.wait_exit(Duration::from_secs(15)).await;
    let waited = signalled.elapsed();
    assert_eq!(exit.code(), Some(0), "{exit}:\n{}", server.log());
    assert!(waited >= Duration::from_millis(900), "exited after {waited:?}, before the grace period ran out");
    assert!(waited < Duration::from_secs(8), "waited {waited:?} for a 1 s grace period");
    let log = server.log();
    assert!(log.contains("SIGINT: shutting down") && log.contains("still running after 1 s"), "{log}");
    drop(conn);

    let server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    assert!(whole_epochs(&t.db, run, 50).await.is_empty(), "the half-sent batch wrote nothing");
    let (s, after) = api.get(&format!("/api/runs/{run}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(after, before, "the run is as it was");
}

async fn sigterm_ends_live_event_streams_with_a_last_comment(t: TestApp) {
    let mut server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    api.seed_bench("watched", 3).await;
    let run = api.trigger("watched").await;
    // A run that never finishes: its stream would stay open for good.
    let res = reqwest::get(format!("{}/api/runs/{run}/events", server.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.bytes_stream();
    let signalled = Instant::now();
    server.signal("TERM");
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(8), async {
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.expect("the stream ends cleanly"));
        }
    })
    .await
    .expect("the stream ended after SIGTERM");
    assert!(String::from_utf8_lossy(&got).ends_with(": server shutting down\n\n"), "{:?}", String::from_utf8_lossy(&got));
    let exit = server.wait_exit(Duration::from_secs(15)).await;
    assert_eq!(exit.code(), Some(0), "{exit}:\n{}", server.log());
    // Within the grace period, not at its end: the stream did not hold the server open.
    assert!(signalled.elapsed() < Duration::from_secs(8), "exited {:?} after SIGTERM", signalled.elapsed());
    assert!(server.log().contains("shut down cleanly"), "{}", server.log());
}
