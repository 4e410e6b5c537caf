//! Compare two 50,000-case runs, significance included (SPEC §7: ≤ 150 ms), through the store
//! (the code the API runs) on a real SQLite file and, when `ASSAY_BENCH_POSTGRES_URL` names a
//! server, a fresh PostgreSQL database. Run with `make bench`.

mod common;

use std::time::{Duration, Instant};

use assay::server::store::input::{CaseInput, PublishVersion, PutBench, ResultInput, TriggerRun};
use assay::server::store::compare::CompareOptions;
use assay::server::store::{Finish, Store};
use serde_json::json;

const CASES: usize = 50_000;
const BATCH: usize = 5_000;
const ROUNDS: usize = 15;
const TARGET_MS: f64 = 150.0;

/// A realistic result: most cases scored, some failed or skipped, costs that drift between the
/// runs, 3 dimensions. `variant` shifts run b's scores and costs a little.
fn result(i: usize, variant: usize) -> ResultInput {
    let h = (i.wrapping_mul(2_654_435_761) ^ (variant * 40_503)) % 1000;
    let status = match h {
        0..=19 => "workflow_failed",
        20..=29 => "judge_failed",
        30..=34 => "skipped",
        _ => "ok",
    };
    let scored = status == "ok";
    let score = ((i % 100) as f64 / 100.0
        + if variant == 1 {
            (h % 7) as f64 / 100.0 - 0.03
        } else {
            0.0
        })
    .clamp(0.0, 1.0);
    serde_json::from_value(json!({
        "case_id": format!("case-{i:06}"),
        "status": status,
        "headline_score": if scored { Some(score) } else { None },
        "duration_ms": 200 + (i * 7 + variant * 13) % 3000,
        "input_tokens": 800, "output_tokens": 90,
        "workflow_cost_usd": 0.003 + (h % 5) as f64 * 0.0001 * variant as f64,
        "judge_cost_usd": 0.0004,
        "output": "a short answer",
        "dimension_scores": if scored {
            json!({"accuracy": score, "tone": (score + 0.1).min(1.0), "safety": 1.0 - score / 2.0})
        } else { json!({}) }
    }))
    .unwrap()
}

async fn run(label: &str, url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    for (kind, name) in [("workflow", "wf"), ("judge", "jd")] {
        let p = PublishVersion {
            source: format!("{name} source"),
            channels: vec!["production".into()],
            ..Default::default()
        };
        store.publish_version(kind, name, &p).await.unwrap();
    }
    let bench = "compare-bench";
    store
        .put_bench(
            bench,
            &PutBench {
                description: None,
                workflow: "wf".into(),
                judge: "jd".into(),
                judge_channel: None,
                score_max: None,
                pass_threshold: None,
            },
        )
        .await
        .unwrap();
    let cases: Vec<CaseInput> = (0..CASES)
        .map(|i| serde_json::from_value(json!({"id": format!("case-{i:06}"), "name": format!("Case {i}"), "inputs": {"q": i}})).unwrap())
        .collect();
    for chunk in cases.chunks(10_000) {
        store.upsert_cases(bench, chunk).await.unwrap();
    }
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for variant in 0..2 {
        let (r, _) = store
            .trigger_run(&TriggerRun {
                bench: bench.into(),
                channel: "production".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        for start in (0..CASES).step_by(BATCH) {
            let batch = (start..start + BATCH).map(|i| result(i, variant)).collect();
            store.ingest_results(r.id, batch).await.unwrap();
        }
        store
            .finish_run(r.id, Finish::Complete, None)
            .await
            .unwrap();
        ids.push(r.id);
    }
    let setup = t0.elapsed();

    // Warm up (connections, statement caches, page cache), then time.
    let report = store.compare(ids[0], ids[1], None).await.unwrap();
    assert_eq!(report.per_case.len(), CASES);
    assert_eq!(report.aggregate.significance.method, "normal");
    let cpu0 = cpu_ms();
    let mut times: Vec<Duration> = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = store.compare(ids[0], ids[1], None).await.unwrap();
        times.push(t.elapsed());
        std::hint::black_box(r);
    }
    let cpu1 = cpu_ms();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(times[ROUNDS / 2]);
    // With every case's dimension scores (`?case_dimensions=true`, and the CSV export).
    let opts = CompareOptions {
        epsilon: None,
        case_dimensions: true,
    };
    let mut with_dims: Vec<Duration> = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = store.compare_with(ids[0], ids[1], opts).await.unwrap();
        with_dims.push(t.elapsed());
        assert_eq!(r.per_case[0].dimensions.len(), 3);
    }
    with_dims.sort();
    let t = Instant::now();
    let json = serde_json::to_vec(&report).unwrap();
    let ser = ms(t.elapsed());
    // The bootstrap path at its largest: 10,000 pairs.
    let t = Instant::now();
    let deltas: Vec<f64> = report
        .per_case
        .iter()
        .filter_map(|c| c.delta)
        .take(10_000)
        .collect();
    let i = assay::domain::compare::mean_interval(&deltas, 1);
    let boot = ms(t.elapsed());
    assert_eq!(i.method, "bootstrap");
    let g = &report.aggregate;
    // The machine-readable line `make bench`'s table is printed from (benches/harness/table.py).
    println!(
        "BENCH {}",
        json!({"row": "compare_store", "backend": label, "value": median, "unit": "ms", "cmp": "<=",
               "target": TARGET_MS,
               "note": format!("median of {ROUNDS} (min {:.1}, max {:.1}); with per-case dimensions {:.1} ms; \
                                JSON of the report {:.1} MB; CPU {} ms a compare",
                               ms(times[0]), ms(times[ROUNDS - 1]), ms(with_dims[ROUNDS / 2]),
                               json.len() as f64 / 1e6,
                               match (cpu0, cpu1) { (Some(a), Some(b)) => format!("{:.0}", (b - a) / ROUNDS as f64), _ => "?".into() })})
    );
    println!(
        "{label}: compare two {CASES}-case runs (3 dimensions, {} pairs, {} interval): median {median:.1} ms \
         (min {:.1}, max {:.1}, {ROUNDS} rounds) — SPEC target ≤ {TARGET_MS} ms: {}",
        g.significance.n_pairs,
        g.significance.method,
        ms(times[0]),
        ms(times[ROUNDS - 1]),
        if median <= TARGET_MS { "met" } else { "MISSED" }
    );
    if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
        println!(
            "{label}:   CPU time of this process per compare (all threads): {:.0} ms; load average now {}",
            (c1 - c0) / ROUNDS as f64,
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?")
        );
    }
    println!(
        "{label}:   flags {} improved / {} regressed / {} unchanged; JSON of the report {:.1} MB in {ser:.1} ms; \
         bootstrap of 10,000 pairs alone {boot:.1} ms; with per-case dimensions (3 × 50,000 more rows per run) \
         median {:.1} ms; setup (ingest 2 × {CASES}) {:.1} s",
        g.n_improved,
        g.n_regressed,
        g.n_unchanged,
        json.len() as f64 / 1e6,
        ms(with_dims[ROUNDS / 2]),
        setup.as_secs_f64()
    );
    store.close().await;
}

/// CPU time this process has used (user + system, Linux), in ms: the share of a compare that
/// other load on the machine cannot inflate (PostgreSQL's own work is in its server process).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0) // USER_HZ is 100 on Linux
}

#[tokio::main]
async fn main() {
    let (_dir, databases) = common::databases("bench_cmp").await;
    for (label, url) in &databases {
        run(label, url).await;
    }
}
