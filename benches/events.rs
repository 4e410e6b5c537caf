//! Live events under load (issue 9): 100 subscribers on one run of a real `assay serve` process
//! while 50,000 results arrive over HTTP in batches of 1,000, on SQLite and (with
//! `ASSAY_BENCH_POSTGRES_URL`) PostgreSQL. Measured from outside the server:
//! - commit → event: from the writer's acknowledgement of a batch (the server answers right
//!   after its commit, so this is at most the true figure) to the arrival of each of its events
//!   at each subscriber — p95 over all 5,000,000 events; the p95 of each batch's last event too;
//! - events/s delivered over all subscribers;
//! - the server's RSS above idle (peak of VmRSS while it streams), and above what the same
//!   ingest costs a fresh server with no subscriber (SQLite's 64 MB page cache per connection
//!   fills during a 50,000-result ingest whether anyone watches or not).
//!
//! Targets: p95 ≤ 50 ms, ≤ 50 MB above idle. Run with `make bench`.

mod common;
// The process tests' helper: a real `assay serve` on a free port, killed on drop.
#[path = "../tests/process/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay::server::store::input::TriggerRun;
use assay::server::store::{Scope, Store};
use futures::StreamExt;
use harness::Server;
use serde_json::json;

const CASES: usize = 50_000;
const BATCH: usize = 1_000;
const SUBSCRIBERS: usize = 100;
const BATCHES: usize = CASES / BATCH;

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// The peak RSS of a process, sampled every 20 ms until [`Peak::stop`].
struct Peak {
    peak: Arc<AtomicU64>,
    sampling: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Peak {
    fn start(pid: u32) -> Peak {
        let peak = Arc::new(AtomicU64::new(rss_kb(pid)));
        let sampling = Arc::new(AtomicBool::new(true));
        let (p, s) = (peak.clone(), sampling.clone());
        let task = tokio::spawn(async move {
            while s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Peak { peak, sampling, task }
    }

    async fn stop(self) -> u64 {
        self.sampling.store(false, Ordering::Relaxed);
        self.task.await.unwrap();
        self.peak.load(Ordering::Relaxed)
    }
}

fn batch_body(b: usize) -> bytes::Bytes {
    let results: Vec<_> = (b * BATCH..(b + 1) * BATCH).map(common::result_json).collect();
    bytes::Bytes::from(serde_json::to_vec(&json!({ "results": results })).unwrap())
}

/// What one subscriber saw: per batch, when its last event arrived; per chunk read, how many
/// events of which batch it carried (so every event's arrival is known); lags; bytes.
struct Seen {
    batch_done: Vec<Option<Instant>>,
    arrivals: Vec<(Instant, usize, u32)>,
    events: usize,
    lagged: usize,
    bytes: usize,
}

impl Seen {
    fn count(&mut self, at: Instant, seq: usize) {
        let batch = (seq - 1) / BATCH;
        if batch >= BATCHES {
            return;
        }
        self.events += 1;
        match self.arrivals.last_mut() {
            Some((t, b, n)) if *t == at && *b == batch => *n += 1,
            _ => self.arrivals.push((at, batch, 1)),
        }
        if seq % BATCH == 0 {
            self.batch_done[batch] = Some(at);
        }
    }
}

/// Read a stream with as little work as a client can do: find `id:` lines, note when each
/// arrived, stop at `terminal`.
async fn subscribe(http: reqwest::Client, url: String, ready: Arc<tokio::sync::Barrier>) -> Seen {
    let res = http.get(&url).send().await.expect("subscribe");
    assert_eq!(res.status(), 200);
    ready.wait().await;
    let mut seen = Seen { batch_done: vec![None; BATCHES], arrivals: Vec::new(), events: 0, lagged: 0, bytes: 0 };
    let mut stream = res.bytes_stream();
    // Only a line's first bytes matter: of a line split across chunks, keep at most 32.
    let mut carry: Vec<u8> = Vec::with_capacity(32);
    let mut carrying = false;
    let keep = |carry: &mut Vec<u8>, bytes: &[u8]| {
        let room = 32usize.saturating_sub(carry.len()).min(bytes.len());
        carry.extend_from_slice(&bytes[..room]);
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("stream");
        seen.bytes += chunk.len();
        let now = Instant::now();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &chunk) {
            if carrying {
                keep(&mut carry, &chunk[start..nl]);
            }
            let line: &[u8] = if carrying { &carry } else { &chunk[start..nl] };
            if let Some(id) = line.strip_prefix(b"id: ") {
                seen.count(now, std::str::from_utf8(id).unwrap().parse().unwrap());
            } else if line.starts_with(b"event: lagged") {
                seen.lagged += 1;
            } else if line.starts_with(b"event: terminal") {
                return seen;
            }
            carry.clear();
            carrying = false;
            start = nl + 1;
        }
        if start < chunk.len() {
            keep(&mut carry, &chunk[start..]);
            carrying = true;
        }
    }
    seen
}

/// The `p` quantile of weighted samples `(value, weight)` sorted by value.
fn percentile(sorted: &[(f64, u32)], p: f64) -> f64 {
    let total: u64 = sorted.iter().map(|(_, w)| u64::from(*w)).sum();
    let rank = ((p * total as f64).ceil() as u64).clamp(1, total.max(1));
    let mut seen = 0u64;
    for (v, w) in sorted {
        seen += u64::from(*w);
        if seen >= rank {
            return *v;
        }
    }
    f64::NAN
}

/// A started server on `url`, its idle RSS after one answered read, and an HTTP client.
async fn start(url: &str, run_id: i64) -> (Server, u64, reqwest::Client) {
    let server = Server::start(url, &[]).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let res = http.get(format!("{}/api/runs/{run_id}", server.base)).send().await.unwrap();
    assert!(res.status().is_success(), "the server answers");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kb(server.pid());
    (server, idle, http)
}

/// Post every batch to `run_id` back to back, then complete it: when each batch was answered.
async fn ingest(http: &reqwest::Client, base: &str, token: &str, run_id: i64) -> Vec<Instant> {
    let bodies: Vec<bytes::Bytes> = (0..BATCHES).map(batch_body).collect();
    let mut acked = Vec::with_capacity(BATCHES);
    for body in bodies {
        let res = http
            .post(format!("{base}/api/runs/{run_id}/results"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        acked.push(Instant::now());
        assert!(res.status().is_success(), "ingest: {}", res.status());
    }
    let res = http.post(format!("{base}/api/runs/{run_id}/complete")).bearer_auth(token).send().await.unwrap();
    assert!(res.status().is_success());
    acked
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

async fn run(label: &str, url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let alone = common::bench_with_run(&store, "live-bench", CASES).await;
    let trigger = TriggerRun { bench: "live-bench".into(), channel: "production".into(), ..Default::default() };
    let watched = store.trigger_run(&trigger).await.unwrap().0.id;
    let (_, token) = store.create_token("bench", Scope::Write).await.unwrap();
    store.close().await;

    // The same ingest on a fresh server that nobody watches: what it costs by itself.
    let (server, idle_alone, http) = start(url, alone).await;
    let peak = Peak::start(server.pid());
    ingest(&http, &server.base, &token, alone).await;
    let alone_mb = mb(peak.stop().await.saturating_sub(idle_alone));
    drop(server);

    let (server, idle, http) = start(url, watched).await;
    let ready = Arc::new(tokio::sync::Barrier::new(SUBSCRIBERS + 1));
    let url_events = format!("{}/api/runs/{watched}/events", server.base);
    let subs: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| tokio::spawn(subscribe(reqwest::Client::new(), url_events.clone(), ready.clone())))
        .collect();
    ready.wait().await;
    let subscribed = rss_kb(server.pid());
    let peak = Peak::start(server.pid());
    let t0 = Instant::now();
    let acked = ingest(&http, &server.base, &token, watched).await;
    let ingest_s = t0.elapsed().as_secs_f64();
    let mut seen = Vec::new();
    for s in subs {
        seen.push(s.await.unwrap());
    }
    let wall = t0.elapsed().as_secs_f64();
    let peak = peak.stop().await;
    drop(server);

    let ms = |at: &Instant, b: usize| at.saturating_duration_since(acked[b]).as_secs_f64() * 1000.0;
    let mut every: Vec<(f64, u32)> = seen.iter().flat_map(|s| s.arrivals.iter().map(|(at, b, n)| (ms(at, *b), *n))).collect();
    every.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last: Vec<(f64, u32)> =
        seen.iter().flat_map(|s| s.batch_done.iter().enumerate().filter_map(|(b, at)| at.map(|at| (ms(&at, b), 1)))).collect();
    last.sort_by(|a, b| a.0.total_cmp(&b.0));
    let missing = SUBSCRIBERS * BATCHES - last.len();
    let events: usize = seen.iter().map(|s| s.events).sum();
    let lagged: usize = seen.iter().map(|s| s.lagged).sum();
    let bytes: usize = seen.iter().map(|s| s.bytes).sum();
    let last_event = seen.iter().flat_map(|s| s.batch_done.iter().flatten()).max().copied().unwrap_or(t0);
    let deliver_s = last_event.duration_since(t0).as_secs_f64();
    let rate = events as f64 / deliver_s;
    let (p50, p95, max) = (percentile(&every, 0.5), percentile(&every, 0.95), every.last().map_or(f64::NAN, |l| l.0));
    let last_p95 = percentile(&last, 0.95);
    let above_mb = mb(peak.saturating_sub(idle));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    println!(
        "{label}: {SUBSCRIBERS} subscribers, {CASES} results in batches of {BATCH}: commit→event p50 {p50:.1} ms, \
         p95 {p95:.1} ms, max {max:.1} ms (target p95 ≤ 50 ms); each batch's last event p95 {last_p95:.1} ms; \
         {events} events delivered in {deliver_s:.2} s = {rate:.0} events/s ({:.0} MB); ingest {ingest_s:.2} s, \
         wall {wall:.2} s; server RSS idle {:.1} MB, with subscribers {:.1} MB, peak {:.1} MB = {above_mb:.1} MB above \
         idle (target ≤ 50 MB), the same ingest unwatched {alone_mb:.1} MB; lagged events {lagged}, batches never \
         seen {missing}; load average after: {load}",
        bytes as f64 / 1e6,
        mb(idle),
        mb(subscribed),
        mb(peak),
    );
    let note = format!(
        "p50 {p50:.1} ms, max {max:.1} ms, each batch's last event p95 {last_p95:.1} ms; {:.1} GB streamed; lagged {lagged}; load {load}",
        bytes as f64 / 1e9
    );
    let rss_note = format!("the same ingest with no subscriber: {alone_mb:.1} MB above its idle; streams add {:.1} MB", above_mb - alone_mb);
    for (row, value, unit, cmp, target, note) in [
        ("events_p95", p95, "ms", "<=", Some(50.0), &note),
        ("events_rate", rate, "events/s", ">=", None, &note),
        ("events_rss", above_mb, "MB", "<=", Some(50.0), &rss_note),
    ] {
        println!(
            "BENCH {}",
            json!({"row": row, "backend": label, "value": value, "unit": unit, "cmp": cmp, "target": target, "note": note})
        );
    }
    // A subscriber that fell behind was told so (`lagged`); otherwise every result reached all.
    assert!(lagged > 0 || events == SUBSCRIBERS * CASES, "{events} events without a lagged one");
}

#[tokio::main]
async fn main() {
    let (_dir, databases) = common::databases("events").await;
    for (label, url) in &databases {
        run(label, url).await;
    }
}
