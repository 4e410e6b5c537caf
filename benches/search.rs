//! Searching a results page (SPEC §7: a page of 100 in a 50,000-result run with a `q`, ≤ 20 ms)
//! through the store (the code the API and the run page run), on a real SQLite file and, when
//! `ASSAY_BENCH_POSTGRES_URL` names a server, a fresh PostgreSQL database. Two finished
//! 50,000-result runs share the index, so one run's search must not read the other's postings.
//! Also timed: finishing a run (its text indexed then) and the same searches on a running run
//! (a scan). Run with `make bench`; `ASSAY_BENCH_SEARCH_CASES` makes the runs smaller.

use std::time::{Duration, Instant};

use assay::model::query::ResultsQuery;
use assay::server::store::input::{CaseInput, PublishVersion, PutBench, ResultInput, TriggerRun};
use assay::server::store::{Finish, Store};
use serde_json::json;

const BATCH: usize = 1_000;
const ROUNDS: usize = 25;
const TARGET_MS: f64 = 20.0;
const TOPICS: [&str; 8] = ["refund", "shipping", "invoice", "password", "warranty", "delivery", "upgrade", "account"];
const WORDS: [&str; 20] = [
    "order", "customer", "policy", "days", "please", "receipt", "support", "team", "within", "account", "package",
    "tracking", "number", "email", "update", "request", "confirm", "address", "store", "credit",
];

fn mix(i: usize, salt: usize) -> usize {
    let mut x = (i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) & 0xFFFF_FFFF;
    x ^= x >> 16;
    x = x.wrapping_mul(0x45D9_F3B) & 0xFFFF_FFFF;
    x ^ (x >> 16)
}

fn sentence(i: usize, salt: usize, n: usize) -> String {
    (0..n).map(|k| WORDS[mix(i, salt + k) % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

/// The harness's dataset (benches/harness/dataset.py) in short: a topic per case, a 25-word
/// answer, two scorer reasons, 3% errors.
fn result(i: usize, variant: usize) -> ResultInput {
    let topic = TOPICS[mix(i, 1) % TOPICS.len()];
    let v = if mix(i, 10 + variant) % 100 < 3 {
        json!({"case_id": format!("case-{i:05}"), "status": "workflow_failed",
               "error": if i % 2 == 0 { "timeout after 30s" } else { "rate limited by the provider (429)" }})
    } else {
        json!({"case_id": format!("case-{i:05}"), "status": "ok", "headline_score": (mix(i, 5) % 1000) as f64 / 1000.0,
               "output": format!("About your {topic}, customer {i}: {}.", sentence(i, 20 + variant, 25)),
               "scorer_results": [
                   {"scorer_name": "exact", "score": 1.0, "passed": true, "reason": format!("matches the {topic} answer")},
                   {"scorer_name": "llm-judge", "score": 0.7, "passed": true, "reason": "mostly right, a bit terse"}]})
    };
    serde_json::from_value(v).unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, min and max of `ROUNDS` pages of 100 with `q` (after one warm-up), and the rows.
async fn time_page(store: &Store, run: i64, q: &str, sort: Option<&str>) -> (f64, f64, f64, usize) {
    let query = ResultsQuery { q: Some(q.into()), sort: sort.map(Into::into), limit: Some(100), ..Default::default() };
    let rows = store.list_results(run, &query).await.unwrap().results.len();
    let mut times: Vec<Duration> = (0..ROUNDS).map(|_| Duration::ZERO).collect();
    for t in times.iter_mut() {
        let t0 = Instant::now();
        std::hint::black_box(store.list_results(run, &query).await.unwrap());
        *t = t0.elapsed();
    }
    times.sort();
    (ms(times[ROUNDS / 2]), ms(times[0]), ms(times[ROUNDS - 1]), rows)
}

async fn run(label: &str, url: &str, cases: usize) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    for (kind, name) in [("workflow", "wf"), ("judge", "jd")] {
        let p = PublishVersion { source: format!("{name} source"), channels: vec!["production".into()], ..Default::default() };
        store.publish_version(kind, name, &p).await.unwrap();
    }
    let bench = "search-bench";
    let put = PutBench { description: None, workflow: "wf".into(), judge: "jd".into(), judge_channel: None, score_max: None, pass_threshold: None };
    store.put_bench(bench, &put).await.unwrap();
    let all: Vec<CaseInput> = (0..cases)
        .map(|i| {
            let topic = TOPICS[mix(i, 1) % TOPICS.len()];
            serde_json::from_value(json!({"id": format!("case-{i:05}"), "name": format!("{topic} question {i}"),
                                          "inputs": {"question": format!("Customer {i} asks about a {topic}: {}?", sentence(i, 2, 12))}}))
            .unwrap()
        })
        .collect();
    for chunk in all.chunks(10_000) {
        store.upsert_cases(bench, chunk).await.unwrap();
    }
    let mut finish_ms = Vec::new();
    let mut ids = Vec::new();
    let mut running = Vec::new();
    for variant in 0..2 {
        let (r, _) = store.trigger_run(&TriggerRun { bench: bench.into(), channel: "production".into(), ..Default::default() }).await.unwrap();
        for start in (0..cases).step_by(BATCH) {
            let batch = (start..(start + BATCH).min(cases)).map(|i| result(i, variant)).collect();
            store.ingest_results(r.id, batch).await.unwrap();
        }
        if variant == 1 {
            // The second run, still running: searched by a scan.
            for (q, _) in SEARCHES {
                running.push((q, time_page(&store, r.id, q, None).await));
            }
        }
        let t = Instant::now();
        store.finish_run(r.id, Finish::Complete, None).await.unwrap();
        finish_ms.push(ms(t.elapsed()));
        ids.push(r.id);
    }
    let mut lines = Vec::new();
    let mut headline = None;
    for (q, what) in SEARCHES {
        let (median, min, max, rows) = time_page(&store, ids[0], q, None).await;
        let (sorted, ..) = time_page(&store, ids[0], q, Some("-score")).await;
        lines.push(format!("`q={q}` ({what}, {rows} rows): {median:.1} ms (min {min:.1}, max {max:.1}), sorted by -score {sorted:.1} ms"));
        headline = headline.or(Some((q, median, rows)));
    }
    let (q, median, rows) = headline.unwrap();
    let scans: Vec<String> = running.iter().map(|(q, (m, ..))| format!("`{q}` {m:.0} ms")).collect();
    let note = format!(
        "finished run, `q={q}` ({rows} rows), median of {ROUNDS}; {}; a running run is scanned: {}; \
         finishing a {cases}-result run (text indexed then) {:.0} / {:.0} ms",
        lines[1..].join("; "),
        scans.join(", "),
        finish_ms[0],
        finish_ms[1]
    );
    // The machine-readable line `make bench`'s table is printed from (benches/harness/table.py).
    println!(
        "BENCH {}",
        json!({"row": "results_search_store", "backend": label, "value": median, "unit": "ms", "cmp": "<=",
               "target": TARGET_MS, "note": note})
    );
    println!("{label}: search a results page of 100 in a {cases}-result finished run (two such runs indexed):");
    for l in &lines {
        println!("{label}:   {l}");
    }
    println!("{label}:   the same searches on a running run (a scan): {}", scans.join(", "));
    println!(
        "{label}:   finishing each {cases}-result run, its text indexed in the same transaction: {:.0} ms, {:.0} ms",
        finish_ms[0], finish_ms[1]
    );
    store.close().await;
}

/// The searches timed: (q, what it finds).
const SEARCHES: [(&str, &str); 5] = [
    ("refund", "a word in 1 of 8 outputs, names and reasons"),
    ("customer 4242", "two words, one result"),
    ("e-0424", "a case id substring"),
    ("question 4", "a case name substring and two words"),
    ("zebra", "no match"),
];

#[tokio::main]
async fn main() {
    let cases: usize = std::env::var("ASSAY_BENCH_SEARCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let dir = tempfile::tempdir().unwrap();
    run("sqlite", &format!("sqlite://{}", dir.path().join("bench.db").display()), cases).await;
    if let Ok(base) = std::env::var("ASSAY_BENCH_POSTGRES_URL") {
        use sqlx::Connection;
        let name = format!("assay_bench_search_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        run("postgres", &format!("{head}/{name}"), cases).await;
        c.close().await.ok();
    } else {
        println!("postgres: skipped (set ASSAY_BENCH_POSTGRES_URL, as `make bench` does)");
    }
}
