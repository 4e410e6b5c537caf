//! `assay demo`: a realistic workspace so a newcomer sees every page populated. Three benches,
//! versioned workflows and judges on production / staging / canary with publish history, six
//! weeks of runs (full and sampled, with git metadata), every result status, scorer reasons,
//! dimensions, traces (a few of 2,000 steps), a run still running, and real regressions.
//! Everything goes through the store's public writes, as the API would; only timestamps are
//! moved into the past afterwards. Deterministic: the same seed gives the same workspace.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::server::store::input::{CaseInput, PublishVersion, PutBench, ResultInput, RunMode, TriggerRun};
use crate::server::store::{Finish, Store, StoreResult};

struct BenchSpec {
    name: &'static str,
    description: &'static str,
    workflow: &'static str,
    judge: &'static str,
    score_max: f64,
    pass_threshold: Option<f64>,
    cases: usize,
    tags: &'static [&'static str],
    dimensions: &'static [&'static str],
    topics: &'static [&'static str],
}

const BENCHES: &[BenchSpec] = &[
    BenchSpec {
        name: "support-refunds",
        description: "Customer-support agent answering refund, shipping and billing questions with order tools",
        workflow: "support-agent",
        judge: "refund-rubric",
        score_max: 1.0,
        pass_threshold: None,
        cases: 120,
        tags: &["refund", "shipping", "billing", "escalation", "smoke"],
        dimensions: &["accuracy", "tone", "policy"],
        topics: &["Where is my refund for order", "Can I return the jacket from order", "Why was I charged twice for order",
                  "My parcel never arrived, order", "Cancel my subscription tied to order"],
    },
    BenchSpec {
        name: "sql-copilot",
        description: "Natural language to SQL over the analytics warehouse, judged by executing the query",
        workflow: "sql-writer",
        judge: "sql-exec-judge",
        score_max: 100.0,
        pass_threshold: Some(70.0),
        cases: 60,
        tags: &["joins", "aggregation", "window", "dates", "smoke"],
        dimensions: &["correctness", "efficiency", "style"],
        topics: &["Monthly active users by country since", "Top 10 products by revenue in", "Churned accounts per plan for",
                  "Median order value per weekday in", "Running total of signups during"],
    },
    BenchSpec {
        name: "doc-summarizer",
        description: "Summaries of internal design documents, judged for faithfulness and coverage",
        workflow: "summarizer",
        judge: "summary-judge",
        score_max: 1.0,
        pass_threshold: Some(0.6),
        cases: 40,
        tags: &["long", "short", "technical", "policy"],
        dimensions: &["faithfulness", "coverage", "brevity"],
        topics: &["Summarize the RFC on", "Summarize the incident review of", "Summarize the onboarding guide for",
                  "Summarize the pricing proposal for"],
    },
];

/// A workflow version's quality, and which tag it is bad at (a regression to find).
struct Flavor {
    quality: f64,
    /// The version regresses on the cases with the bench's first tag.
    weak: bool,
    model: &'static str,
}

const WORKFLOW_VERSIONS: &[Flavor] = &[
    Flavor { quality: 0.72, weak: false, model: "gpt-4.1-mini" },
    Flavor { quality: 0.80, weak: false, model: "gpt-4.1" },
    Flavor { quality: 0.84, weak: true, model: "claude-sonnet-4" },
    Flavor { quality: 0.86, weak: false, model: "claude-sonnet-4" },
];

/// Whether the database already holds a workspace (the demo then leaves it alone).
pub async fn has_data(store: &Store) -> StoreResult<bool> {
    store.has_benches().await
}

/// `assay demo`: write the workspace unless the database already holds benches. Answers the
/// number of runs written, or None when the database was left alone.
pub async fn seed_if_empty(store: &Store, seed: u64) -> StoreResult<Option<usize>> {
    if has_data(store).await? {
        return Ok(None);
    }
    self::seed(store, seed).await.map(Some)
}

fn case_id(spec: &BenchSpec, i: usize) -> String {
    match spec.name {
        // Case ids with a slash, a space and non-ASCII, as real suites have.
        "support-refunds" if i == 5 => "refund/express #5".to_string(),
        "support-refunds" if i == 6 => "rückerstattung-6".to_string(),
        _ => format!("{}-{:03}", spec.name.split('-').next().unwrap_or("case"), i),
    }
}

/// Fill `store` with the demo workspace. Returns the number of runs written.
pub async fn seed(store: &Store, seed: u64) -> StoreResult<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut runs_written = 0;
    let mut run_ids: Vec<i64> = Vec::new();
    for spec in BENCHES {
        // Judge: two versions, production on v2 after a while.
        let judge_v1 = PublishVersion {
            source: judge_source(spec, 1),
            language: Some("python".into()),
            label: Some("initial rubric".into()),
            published_by: Some("maria@example.com".into()),
            channels: vec!["production".into()],
            ..Default::default()
        };
        store.publish_version("judge", spec.judge, &judge_v1).await?;
        for (v, flavor) in WORKFLOW_VERSIONS.iter().enumerate().take(1) {
            let p = workflow_version(spec, v + 1, flavor, &["production", "staging"]);
            store.publish_version("workflow", spec.workflow, &p).await?;
        }
        store
            .put_bench(
                spec.name,
                &PutBench {
                    description: Some(spec.description.into()),
                    workflow: spec.workflow.into(),
                    judge: spec.judge.into(),
                    judge_channel: None,
                    score_max: Some(spec.score_max),
                    pass_threshold: spec.pass_threshold,
                },
            )
            .await?;
        let cases: Vec<CaseInput> = (0..spec.cases)
            .map(|i| {
                let tags: Vec<String> = spec
                    .tags
                    .iter()
                    .enumerate()
                    .filter(|(t, _)| (i + t) % (t + 2) == 0 || (*t == 0 && i % 3 == 0))
                    .map(|(_, t)| t.to_string())
                    .collect();
                let topic = spec.topics[i % spec.topics.len()];
                serde_json::from_value(json!({
                    "id": case_id(spec, i),
                    "name": format!("{topic} {}", 1000 + i),
                    "inputs": {"question": format!("{topic} {}?", 1000 + i), "customer_tier": (["free", "pro", "enterprise"][i % 3])},
                    "expected_output": format!("A correct, polite answer about item {} that follows policy.", 1000 + i),
                    "ground_truth": {"resolution": (["refund", "replace", "explain", "escalate"][i % 4])},
                    "tags": tags,
                    "frozen": i < 10,
                }))
                .expect("demo case")
            })
            .collect();
        store.upsert_cases(spec.name, &cases).await?;
        let difficulty: Vec<f64> = (0..spec.cases).map(|_| rng.gen_range(0.0..1.0)).collect();

        // The timeline: (channel, workflow version to publish first, mode, run on it).
        let plan: &[(&str, Option<usize>, bool)] = &[
            ("production", None, false),
            ("staging", None, false),
            ("production", None, true),
            ("staging", Some(2), false),
            ("canary", Some(2), false),
            ("production", Some(2), false),
            ("staging", None, true),
            ("canary", Some(3), false),
            ("canary", None, false),
            ("production", None, false),
            ("staging", Some(4), false),
            // Canary stays on v3: the bench page's "production vs canary" shows the regression.
            ("canary", None, false),
        ];
        let mut published = 1;
        for (step, (channel, publish, sampled)) in plan.iter().enumerate() {
            if let Some(v) = publish {
                if *v > published {
                    let p = workflow_version(spec, *v, &WORKFLOW_VERSIONS[v - 1], &[channel]);
                    store.publish_version("workflow", spec.workflow, &p).await?;
                    published = *v;
                } else {
                    store.move_channel("workflow", spec.workflow, channel, *v as i64, Some("ci-bot")).await?;
                }
            }
            if step == 6 {
                let judge_v2 = PublishVersion {
                    source: judge_source(spec, 2),
                    language: Some("python".into()),
                    label: Some("stricter policy check".into()),
                    published_by: Some("maria@example.com".into()),
                    channels: vec!["production".into()],
                    ..Default::default()
                };
                store.publish_version("judge", spec.judge, &judge_v2).await?;
            }
            let sha = format!("{:07x}", rng.gen_range(0..0xfffffff_u32));
            let branch = if *channel == "production" { "main".to_string() } else { format!("feat/{}-{}", spec.workflow, step) };
            let trigger = TriggerRun {
                bench: spec.name.into(),
                channel: channel.to_string(),
                triggered_by: Some(["ci-bot", "maria@example.com", "lee@example.com"][step % 3].into()),
                notes: (step % 4 == 1).then(|| format!("Nightly eval on {channel} — <b>check</b> the refund cases")),
                mode: if *sampled { RunMode::Sampled } else { RunMode::Full },
                sample_size: sampled.then_some((spec.cases / 4) as i64),
                metadata: Some(json!({"git_sha": sha, "branch": branch, "pr": 100 + step, "harness": "assay-demo"})),
                ..Default::default()
            };
            let (run, _) = store.trigger_run(&trigger).await?;
            let version = run.workflow_version_number as usize;
            let flavor = &WORKFLOW_VERSIONS[version.clamp(1, WORKFLOW_VERSIONS.len()) - 1];
            let selected: Vec<usize> = match &run.case_filter {
                Some(ids) => ids.iter().filter_map(|id| (0..spec.cases).find(|i| case_id(spec, *i) == *id)).collect(),
                None => (0..spec.cases).collect(),
            };
            // The very last run of the last bench stays running with part of its results.
            let still_running = spec.name == "doc-summarizer" && step == plan.len() - 1;
            let take = if still_running { selected.len() / 3 } else { selected.len() };
            let results: Vec<ResultInput> = selected
                .iter()
                .take(take)
                .map(|&i| result_for(spec, &cases[i], i, difficulty[i], flavor, step, &mut rng))
                .collect();
            for chunk in results.chunks(500) {
                store.ingest_results(run.id, chunk.to_vec()).await?;
            }
            if !still_running {
                let how = if step == 9 && spec.name == "sql-copilot" { Finish::Fail } else { Finish::Complete };
                let err = (how == Finish::Fail).then(|| "warehouse connection reset after 48 cases".to_string());
                store.finish_run(run.id, how, err).await?;
            }
            run_ids.push(run.id);
            runs_written += 1;
        }
    }
    store.backdate_demo(&run_ids, BENCHES.len()).await?;
    Ok(runs_written)
}

fn workflow_version(spec: &BenchSpec, v: usize, flavor: &Flavor, channels: &[&str]) -> PublishVersion {
    PublishVersion {
        source: format!(
            "# {} v{v}\nimport tools\n\nSYSTEM = open('prompts/{}.md').read()\n\ndef run(case):\n    plan = llm.plan(SYSTEM, case.inputs)\n    \
             for step in plan.steps:\n        if step.tool:\n            step.result = tools.call(step.tool, step.arguments)\n    \
             return llm.answer(plan, temperature={:.1})\n",
            spec.workflow,
            spec.workflow,
            v as f64 / 10.0
        ),
        language: Some("python".into()),
        label: Some(format!("v{v}: {}", flavor.model)),
        published_by: Some(["lee@example.com", "ana@example.com"][v % 2].into()),
        model: Some(flavor.model.into()),
        system_prompt: Some(format!("You are a careful assistant for {}. Follow policy.", spec.name)),
        temperature: Some(v as f64 / 10.0),
        config: Some(json!({"max_steps": 10 + v, "tools": ["lookup_order", "issue_refund", "search_kb"]})),
        channels: channels.iter().map(|c| c.to_string()).collect(),
    }
}

fn judge_source(spec: &BenchSpec, v: usize) -> String {
    let dims = spec.dimensions.join("\", \"");
    let mut src = format!(
        "# {} v{v}\n# Scores each case on [\"{dims}\"] and returns a headline score.\n\ndef judge(case, output):\n",
        spec.judge
    );
    for (i, d) in spec.dimensions.iter().enumerate() {
        src.push_str(&format!("    {d} = rubric.grade(\"{d}\", output, case.expected_output)  # line {}\n", 6 + i));
    }
    if v > 1 {
        src.push_str("    if violates_policy(output):\n        return Score(0, reason=\"policy violation\")\n");
    }
    src.push_str(&format!("    return Score(mean([{}]))\n", spec.dimensions.join(", ")));
    src
}

fn result_for(
    spec: &BenchSpec,
    case: &CaseInput,
    i: usize,
    difficulty: f64,
    flavor: &Flavor,
    step: usize,
    rng: &mut StdRng,
) -> ResultInput {
    let weak = flavor.weak && case.tags.iter().any(|x| x == spec.tags[0]);
    let roll: f64 = rng.gen_range(0.0..1.0);
    let status = if roll < 0.03 {
        "workflow_failed"
    } else if roll < 0.05 {
        "judge_failed"
    } else if roll < 0.06 {
        "skipped"
    } else if roll < 0.16 {
        "cached"
    } else {
        "ok"
    };
    let mut base = flavor.quality + 0.12 - 0.45 * difficulty + rng.gen_range(-0.08..0.08);
    if weak {
        base -= 0.35;
    }
    let score01 = base.clamp(0.0, 1.0);
    let scored = matches!(status, "ok" | "cached") && !(status == "ok" && rng.gen_bool(0.01));
    let sm = spec.score_max;
    let dims: serde_json::Map<String, Value> = spec
        .dimensions
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let s = ((score01 + [0.05, -0.1, 0.08][k % 3] + rng.gen_range(-0.05..0.05)).clamp(0.0, 1.0) * sm * 1000.0).round() / 1000.0;
            (d.to_string(), json!(s))
        })
        .collect();
    let steps_n = if step == 0 && i < 2 && spec.name == "support-refunds" { 2000 } else { rng.gen_range(3..12) };
    let steps: Vec<Value> = (0..steps_n)
        .map(|s| {
            let kind = ["llm", "tool", "llm", "retrieval"][s % 4];
            json!({"index": s, "type": kind, "name": format!("{kind} step {s}"),
                   "output": if s % 4 == 1 { format!("{{\"order\": {}, \"status\": \"shipped\"}}", 1000 + i) }
                             else { format!("Thinking about {} (step {s}). {}", case.id, "Considering the refund policy. ".repeat(1 + s % 3)) },
                   "tokens_used": 40 + (s * 7) % 200, "duration_ms": 30 + (s * 13) % 700})
        })
        .collect();
    let tool_calls: Vec<Value> = (0..steps_n)
        .filter(|s| s % 4 == 1)
        .map(|s| json!({"step_index": s, "tool_name": (["lookup_order", "issue_refund", "search_kb"][s % 3]),
                         "arguments": {"order_id": 1000 + i, "attempt": s},
                         "result": if s % 9 == 5 { Value::Null } else { json!(format!("ok: order {} found", 1000 + i)) },
                         "error": if s % 9 == 5 { json!("timeout after 5000 ms") } else { Value::Null },
                         "duration_ms": 20 + (s * 31) % 400}))
        .collect();
    let output = match status {
        "workflow_failed" => Value::Null,
        _ if i == 7 => json!("Refund issued. <script>alert('untrusted output')</script><img src=x onerror=alert(1)>"),
        _ if spec.name == "sql-copilot" => json!(format!(
            "SELECT country, COUNT(DISTINCT user_id) AS mau\nFROM events\nWHERE ts >= DATE '2026-{:02}-01'\nGROUP BY country\nORDER BY mau DESC;",
            1 + i % 12
        )),
        _ if weak => json!(format!("Sorry, I cannot help with order {}.", 1000 + i)),
        _ => json!(format!("Thanks for reaching out! Your request about item {} is resolved: {}.", 1000 + i,
                           ["refund on its way", "replacement shipped", "charge explained", "escalated to a specialist"][i % 4])),
    };
    let reason_good = "Matches the expected resolution and cites the policy.";
    let reason_bad = "Misses the refund policy: the customer is owed a refund within 14 days.";
    let input_tokens = 600 + rng.gen_range(0..600);
    let output_tokens = 60 + rng.gen_range(0..200);
    let cached = status == "cached";
    serde_json::from_value(json!({
        "case_id": case.id,
        "status": status,
        "headline_score": if scored { Some((score01 * sm * 1000.0).round() / 1000.0) } else { None },
        "score": if scored { json!({"rubric": if score01 > 0.8 {"A"} else if score01 > 0.6 {"B"} else {"C"}, "raw": score01}) } else { Value::Null },
        "output": output,
        "error": match status {
            "workflow_failed" => Some("TimeoutError: tool lookup_order did not answer within 30 s"),
            "judge_failed" => Some("judge returned malformed JSON"),
            _ => None,
        },
        "duration_ms": if status == "skipped" { None } else { Some(if cached { 15 } else { 400 + rng.gen_range(0..4000) }) },
        "input_tokens": if cached { 0 } else { input_tokens },
        "output_tokens": if cached { 0 } else { output_tokens },
        "tool_tokens": if cached { 0 } else { 20 * tool_calls.len() },
        "workflow_cost_usd": if cached { 0.0 } else { (input_tokens as f64 * 2.5e-6 + output_tokens as f64 * 1e-5) * (1.0 + 0.4 * (flavor.quality - 0.7)) },
        "judge_cost_usd": if scored { 0.0004 } else { 0.0 },
        "cache_hit": cached,
        "workflow_execution_id": format!("exec-{step}-{i}"),
        "judge_execution_id": if scored { Some(format!("judge-{step}-{i}")) } else { None },
        "scorer_results": if scored { json!([
            {"scorer_name": "rubric", "score": (score01 * sm * 1000.0).round() / 1000.0, "passed": score01 >= 0.5,
             "reason": if score01 >= 0.5 { reason_good } else { reason_bad }, "dimension": spec.dimensions[0],
             "details": {"criteria_met": (score01 * 5.0).round(), "criteria_total": 5}},
            {"scorer_name": "tone-check", "score": ((score01 + 0.1).min(1.0) * sm * 1000.0).round() / 1000.0, "passed": true,
             "reason": if weak { "Curt; does not acknowledge the customer." } else { "Friendly and concise." }, "dimension": spec.dimensions[1]}
        ]) } else { json!([]) },
        "dimension_scores": if scored { Value::Object(dims) } else { json!({}) },
        "trace": {"steps": steps, "tool_calls": tool_calls},
    }))
    .expect("demo result")
}

