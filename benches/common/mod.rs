//! What the `cargo bench` programs share: the databases they measure on (a real SQLite file and,
//! when `ASSAY_BENCH_POSTGRES_URL` names a server, a fresh PostgreSQL database), a bench with
//! its cases and a running run, and one realistic result.
#![allow(dead_code)]

use assay::server::store::input::{CaseInput, PublishVersion, PutBench, TriggerRun};
use assay::server::store::Store;
use serde_json::{json, Value};

/// `(label, database URL)` of each backend to measure, and the folder of the SQLite file (keep
/// it alive while measuring). `tag` names the PostgreSQL database apart from other benches'.
pub async fn databases(tag: &str) -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![("sqlite", format!("sqlite://{}", dir.path().join(format!("{tag}.db")).display()))];
    if let Ok(base) = std::env::var("ASSAY_BENCH_POSTGRES_URL") {
        use sqlx::Connection;
        let name = format!("assay_{tag}_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        c.close().await.ok();
        let (head, _) = base.rsplit_once('/').unwrap();
        out.push(("postgres", format!("{head}/{name}")));
    } else {
        println!("postgres: skipped (set ASSAY_BENCH_POSTGRES_URL, as `make bench` does)");
    }
    (dir, out)
}

/// A bench named `bench` (workflow `wf`, judge `jd` on production) with cases `case-000000`…,
/// and a run of it just triggered: its id.
pub async fn bench_with_run(store: &Store, bench: &str, cases: usize) -> i64 {
    for (kind, name) in [("workflow", "wf"), ("judge", "jd")] {
        let p = PublishVersion { source: format!("{name} source"), channels: vec!["production".into()], ..Default::default() };
        store.publish_version(kind, name, &p).await.unwrap();
    }
    let put = PutBench { description: None, workflow: "wf".into(), judge: "jd".into(), judge_channel: None, score_max: None, pass_threshold: None };
    store.put_bench(bench, &put).await.unwrap();
    let cases: Vec<CaseInput> = (0..cases)
        .map(|i| serde_json::from_value(json!({"id": format!("case-{i:06}"), "inputs": {"q": i}})).unwrap())
        .collect();
    for chunk in cases.chunks(10_000) {
        store.upsert_cases(bench, chunk).await.unwrap();
    }
    let trigger = TriggerRun { bench: bench.into(), channel: "production".into(), ..Default::default() };
    store.trigger_run(&trigger).await.unwrap().0.id
}

/// Result `i` of such a run: 2 scorers, 3 dimensions, an output, costs and tokens, one in 17 failed.
pub fn result_json(i: usize) -> Value {
    json!({
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
    })
}
