//! Ingestion throughput (SPEC §7): batches of 1,000 results with 2 scorers and 3 dimensions each,
//! through the store (the same code the API runs), into a real SQLite file and, when
//! `ASSAY_BENCH_POSTGRES_URL` names a server, a fresh PostgreSQL database.
//! Run with `make bench`.

mod common;

use std::time::Instant;

use assay::server::store::input::ResultInput;
use assay::server::store::Store;
use serde_json::json;

const CASES: usize = 50_000;
const BATCH: usize = 1_000;

fn batch(start: usize) -> Vec<ResultInput> {
    (start..start + BATCH).map(|i| serde_json::from_value(common::result_json(i)).unwrap()).collect()
}

async fn run(label: &str, url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let run_id = common::bench_with_run(&store, &format!("bench-{}", std::process::id()), CASES).await;
    let batches: Vec<Vec<ResultInput>> = (0..CASES / BATCH).map(|b| batch(b * BATCH)).collect();
    let t0 = Instant::now();
    for b in batches {
        store.ingest_results(run_id, b).await.unwrap();
    }
    let ingest = t0.elapsed();
    let t1 = Instant::now();
    let done = store.finish_run(run_id, assay::server::store::Finish::Complete, None).await.unwrap();
    let finish = t1.elapsed();
    assert_eq!(done.results_count as usize, CASES);
    let rate = CASES as f64 / ingest.as_secs_f64();
    // The machine-readable line `make bench`'s table is printed from (benches/harness/table.py).
    println!(
        "BENCH {}",
        json!({"row": "ingest_store", "backend": label, "value": rate, "unit": "results/s", "cmp": ">=",
               "target": if url.starts_with("postgres") { 30_000 } else { 100_000 },
               "note": format!("{CASES} results in {:.2} s; complete with exact recount {:.0} ms",
                               ingest.as_secs_f64(), finish.as_secs_f64() * 1000.0)})
    );
    println!(
        "{label}: ingest {CASES} results in batches of {BATCH} (2 scorers, 3 dimensions each): {:.2} s = {:.0} results/s \
         (SPEC target: {}); complete with exact recount: {:.0} ms",
        ingest.as_secs_f64(),
        rate,
        if url.starts_with("postgres") { "≥ 30,000/s" } else { "≥ 100,000/s" },
        finish.as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let (_dir, databases) = common::databases("bench").await;
    for (label, url) in &databases {
        run(label, url).await;
    }
}
