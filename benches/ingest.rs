//! Ingestion throughput (SPEC §7): batches of 1,000 results with 2 scorers and 3 dimensions each,
//! through the store (the same code the API runs), into a real SQLite file and, when
//! `ASSAY_BENCH_POSTGRES_URL` names a server, a fresh PostgreSQL database.
//! Run with `make bench`.

use std::time::Instant;

use assay::server::store::input::{CaseInput, PublishVersion, PutBench, ResultInput, TriggerRun};
use assay::server::store::Store;
use serde_json::json;

const CASES: usize = 50_000;
const BATCH: usize = 1_000;

fn batch(start: usize) -> Vec<ResultInput> {
    (start..start + BATCH)
        .map(|i| {
            serde_json::from_value(json!({
                "case_id": format!("case-{i:06}"),
                "status": if i % 17 == 0 { "workflow_failed" } else { "ok" },
                "headline_score": (i % 100) as f64 / 100.0,
                "workflow_output": format!("answer number {i} with a little text to make it realistic"),
                "duration_ms": 200 + i % 3000,
                "input_tokens": 800, "output_tokens": 90, "tool_tokens": 10,
                "workflow_cost_usd": 0.0031, "judge_cost_usd": 0.0004,
                "scorer_results": [
                    {"scorer_name": "exact", "score": 1.0, "passed": true, "reason": "matches", "dimension": "accuracy"},
                    {"scorer_name": "llm-judge", "score": 0.7, "passed": true, "reason": "mostly right, a bit terse", "dimension": "tone"}
                ],
                "dimension_scores": {"accuracy": 1.0, "tone": 0.7, "safety": 0.9}
            }))
            .unwrap()
        })
        .collect()
}

async fn run(label: &str, url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    for (kind, name) in [("workflow", "wf"), ("judge", "jd")] {
        let p = PublishVersion { source: format!("{name} source"), channels: vec!["production".into()], ..Default::default() };
        store.publish_version(kind, name, &p).await.unwrap();
    }
    let bench = format!("bench-{}", std::process::id());
    store
        .put_bench(&bench, &PutBench { description: None, workflow: "wf".into(), judge: "jd".into(), judge_channel: None, score_max: None, pass_threshold: None })
        .await
        .unwrap();
    let cases: Vec<CaseInput> = (0..CASES)
        .map(|i| serde_json::from_value(json!({"id": format!("case-{i:06}"), "inputs": {"q": i}})).unwrap())
        .collect();
    for chunk in cases.chunks(10_000) {
        store.upsert_cases(&bench, chunk).await.unwrap();
    }
    let (r, _) = store
        .trigger_run(&TriggerRun { bench: bench.clone(), channel: "production".into(), ..Default::default() })
        .await
        .unwrap();
    let batches: Vec<Vec<ResultInput>> = (0..CASES / BATCH).map(|b| batch(b * BATCH)).collect();
    let t0 = Instant::now();
    for b in batches {
        store.ingest_results(r.id, b).await.unwrap();
    }
    let ingest = t0.elapsed();
    let t1 = Instant::now();
    let done = store.finish_run(r.id, assay::server::store::Finish::Complete, None).await.unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    run("sqlite", &format!("sqlite://{}", dir.path().join("bench.db").display())).await;
    if let Ok(base) = std::env::var("ASSAY_BENCH_POSTGRES_URL") {
        use sqlx::Connection;
        let name = format!("assay_bench_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        run("postgres", &format!("{head}/{name}")).await;
    } else {
        println!("postgres: skipped (set ASSAY_BENCH_POSTGRES_URL, as `make bench` does)");
    }
}
