//! Several servers on one PostgreSQL (issue 9): two real `assay serve` processes on one
//! database; results written through one reach the event streams of the other (PostgreSQL
//! LISTEN/NOTIFY), both ways, with `terminal` — watched by the seed's own client and by a raw
//! stream. SQLite is one process, so this test is PostgreSQL's alone.

mod common;
// The process helper of the process tests: a real `assay serve` on a free port, killed on drop.
#[path = "process/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::time::Duration;

use akribes_sdk::BenchRunEvent;
use common::sse::{Ev, Parser};
use common::{Kind, TestApp};
use futures::StreamExt;
use harness::Server;
use serde_json::{json, Value};

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = http.post(&url).bearer_auth(token).json(&body).send().await.expect("post");
    assert!(res.status().is_success(), "POST {url}: {}", res.status());
    res.json().await.unwrap()
}

/// A raw event stream over a socket.
struct Raw {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    parser: Parser,
    queue: Vec<Ev>,
}

impl Raw {
    async fn open(url: String) -> Raw {
        let res = reqwest::Client::new().get(&url).send().await.expect("open stream");
        assert_eq!(res.status(), 200, "GET {url}");
        Raw { stream: res.bytes_stream().boxed(), parser: Parser::default(), queue: Vec::new() }
    }

    async fn next(&mut self) -> Option<Ev> {
        loop {
            if !self.queue.is_empty() {
                return Some(self.queue.remove(0));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(15), self.stream.next()).await.expect("an event in time")?;
            self.queue.extend(self.parser.push(&chunk.expect("stream bytes")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_written_through_one_server_reaches_the_subscribers_of_another() {
    let Some(t) = TestApp::new(Kind::Postgres).await else { return };
    t.seed_bench("multi", &["a", "b", "c", "d"]).await;
    let run = t.trigger("multi", "production").await;
    let (a, b) = (Server::start(&t.url, &[]).await, Server::start(&t.url, &[]).await);
    let http = reqwest::Client::new();

    // Watched on B (the seed's client and a raw stream), written on A.
    let client = akribes_sdk::AkribesClient::builder(b.base.clone()).token(t.read.clone()).build();
    let (mut on_b, _sub) = client.bench_runs().subscribe_run_events(run).await.expect("subscribe on B");
    let mut raw_b = Raw::open(format!("{}/api/runs/{run}/events", b.base)).await;
    let mut raw_a = Raw::open(format!("{}/api/runs/{run}/events", a.base)).await;
    let results = json!({"results": [
        {"case_id": "a", "status": "ok", "headline_score": 0.7},
        {"case_id": "b", "status": "ok", "headline_score": 0.2}
    ]});
    post(&http, format!("{}/api/runs/{run}/results", a.base), &t.write, results).await;
    for want in ["a", "b"] {
        match tokio::time::timeout(Duration::from_secs(15), on_b.recv()).await.expect("in time").expect("open") {
            BenchRunEvent::Result(r) => {
                assert_eq!(r.case_id, want);
                assert_eq!(r.bench_run_id, run);
            }
            other => panic!("expected result {want}, got {other:?}"),
        }
    }
    // The other way round: written on B, seen on A (and on B itself).
    post(&http, format!("{}/api/runs/{run}/results", b.base), &t.write, json!({"results": [{"case_id": "c", "status": "ok", "headline_score": 1.0}]})).await;
    for raw in [&mut raw_a, &mut raw_b] {
        let got: Vec<(Option<i64>, String)> = [raw.next().await, raw.next().await, raw.next().await]
            .into_iter()
            .map(|e| {
                let e = e.expect("an event");
                (e.id, e.data["case_id"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(got, vec![(Some(1), "a".into()), (Some(2), "b".into()), (Some(3), "c".into())]);
    }
    // Finished through A: terminal on both.
    post(&http, format!("{}/api/runs/{run}/complete", a.base), &t.write, json!({})).await;
    match tokio::time::timeout(Duration::from_secs(15), on_b.recv()).await.expect("in time") {
        Some(BenchRunEvent::Result(r)) if r.case_id == "c" => {}
        other => panic!("expected result c, got {other:?}"),
    }
    match tokio::time::timeout(Duration::from_secs(15), on_b.recv()).await.expect("in time") {
        Some(BenchRunEvent::Terminal { status }) => assert_eq!(status, "completed"),
        other => panic!("expected terminal, got {other:?}"),
    }
    for raw in [&mut raw_a, &mut raw_b] {
        let end = raw.next().await.expect("terminal");
        assert_eq!((end.event.as_str(), end.data), ("terminal", json!({"status": "completed"})));
        assert!(raw.next().await.is_none(), "the stream ends");
    }
    // A reconnect to the other server resumes from the database.
    let res = http.get(format!("{}/bench-runs/{run}/events", b.base)).header("last-event-id", "1").send().await.unwrap();
    let mut p = Parser::default();
    let evs = p.push(&res.bytes().await.unwrap());
    let got: Vec<(Option<i64>, &str)> = evs.iter().map(|e| (e.id, e.event.as_str())).collect();
    assert_eq!(got, vec![(Some(2), "result"), (Some(3), "result"), (None, "terminal")]);
}
