//! Bench analysis over HTTP on both backends (issue 14): flaky cases, the living channel-vs-
//! channel link, and what a comparison can detect (power) with its flaky regressions.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};

on_both_backends!(
    flaky_cases_flip_under_unchanged_conditions,
    flaky_parameters_are_checked,
    channel_link_follows_the_latest_completed_full_runs,
    compare_says_what_it_can_detect_and_which_regressions_are_flaky,
);

/// z₀.₉₇₅ + z₀.₈, written out from the normal quantiles.
const Z: f64 = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;

/// A run of `bench` on `channel` with these (case, epoch, score) results; completed unless `finish` is false.
async fn run(t: &TestApp, bench: &str, channel: &str, results: &[(&str, i64, f64)], finish: bool) -> i64 {
    let id = t.trigger(bench, channel).await;
    let rs: Vec<Value> = results
        .iter()
        .map(|(c, e, s)| json!({"case_id": c, "epoch": e, "status": "ok", "headline_score": s}))
        .collect();
    let (s, e) = t.post(&format!("/api/runs/{id}/results"), json!({ "results": rs })).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    if finish {
        let (s, e) = t.post(&format!("/api/runs/{id}/complete"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{e}");
    }
    id
}

fn case<'a>(r: &'a Value, id: &str) -> Option<&'a Value> {
    r["cases"].as_array().unwrap().iter().find(|c| c["case_id"] == id)
}

async fn flaky_cases_flip_under_unchanged_conditions(t: TestApp) {
    t.seed_bench("fl", &["steady", "flip", "epochs", "fixed"]).await;
    let r1 = run(&t, "fl", "production", &[("steady", 1, 1.0), ("flip", 1, 1.0), ("epochs", 1, 1.0), ("epochs", 2, 0.0), ("fixed", 1, 0.0)], true).await;
    let r2 = run(&t, "fl", "production", &[("steady", 1, 1.0), ("flip", 1, 0.0), ("epochs", 1, 1.0), ("epochs", 2, 1.0), ("fixed", 1, 0.0)], true).await;
    // `fixed` gets new inputs: its pass in run 3 is a change of conditions, not a flip.
    let (s, e) = t.put("/api/benches/fl/cases", json!({"cases": [{"id": "fixed", "inputs": {"q": "clearer"}}]})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let r3 = run(&t, "fl", "production", &[("steady", 1, 1.0), ("flip", 1, 1.0), ("epochs", 1, 1.0), ("fixed", 1, 1.0)], true).await;
    // A running run is not looked at.
    run(&t, "fl", "production", &[("steady", 1, 0.0), ("fixed", 1, 0.0)], false).await;

    let (s, r) = t.get("/api/benches/fl/flaky").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["run_ids"], json!([r3, r2, r1]), "completed runs, newest first");
    assert_eq!(r["last"], 20);
    let ids: Vec<&str> = r["cases"].as_array().unwrap().iter().map(|c| c["case_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["epochs", "flip"], "most flips first, then by id; steady and fixed are not flaky");
    let flip = case(&r, "flip").unwrap();
    assert_eq!((flip["flips"].as_i64(), flip["passes"].as_i64(), flip["fails"].as_i64(), flip["runs"].as_i64()), (Some(2), Some(2), Some(1), Some(3)));
    assert!((flip["pass_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(flip["within_run"], false);
    assert_eq!(flip["case_label"], "Case flip");
    let epochs = case(&r, "epochs").unwrap();
    // P F | P P | P: two flips, the first inside run 1.
    assert_eq!((epochs["flips"].as_i64(), epochs["passes"].as_i64(), epochs["fails"].as_i64()), (Some(2), Some(4), Some(1)));
    assert_eq!(epochs["within_run"], true);

    // The last run alone has one epoch per case: nothing to flip.
    let (_, r) = t.get("/api/benches/fl/flaky?last=1").await;
    assert_eq!(r["run_ids"], json!([r3]));
    assert_eq!(r["cases"], json!([]));
    let (_, r) = t.get("/api/benches/fl/flaky?channel=canary").await;
    assert_eq!((r["run_ids"].clone(), r["cases"].clone(), r["channel"].clone()), (json!([]), json!([]), json!("canary")));

    // A newer completed run changes the answer (nothing stale is served).
    let r5 = run(&t, "fl", "production", &[("flip", 1, 0.0)], true).await;
    let (_, r) = t.get("/api/benches/fl/flaky").await;
    assert_eq!(r["run_ids"][0], r5);
    assert_eq!(case(&r, "flip").unwrap()["flips"], 3, "P F P F");

    // A deleted run leaves the answer.
    let (s, _) = t.send(axum::http::Method::DELETE, &format!("/api/runs/{r5}"), Some(&t.admin.clone()), None).await;
    assert!(s.is_success(), "{s}");
    let (_, r) = t.get("/api/benches/fl/flaky").await;
    assert_eq!(r["run_ids"], json!([r3, r2, r1]));
    assert_eq!(case(&r, "flip").unwrap()["flips"], 2);
}

async fn flaky_parameters_are_checked(t: TestApp) {
    t.seed_bench("fp", &["a"]).await;
    for (q, field) in [("last=0", "last"), ("last=201", "last"), ("last=ten", "last"), ("last=1.5", "last"), ("last=", "last")] {
        let (s, e) = t.get(&format!("/api/benches/fp/flaky?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {e}");
        assert_eq!(e["error"]["field"], field, "{q}: {e}");
    }
    let (s, e) = t.get("/api/benches/nope/flaky").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["field"], "bench", "{e}");
}

async fn channel_link_follows_the_latest_completed_full_runs(t: TestApp) {
    t.seed_bench("ch", &["c1", "c2", "c3"]).await;
    let all = |s: f64| vec![("c1", 1, s), ("c2", 1, s), ("c3", 1, s)];
    let a = run(&t, "ch", "production", &all(0.5), true).await;
    let b = run(&t, "ch", "canary", &all(0.75), true).await;
    let (s, r) = t.get("/api/benches/ch/compare?x=production&y=canary").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["run_a_id"].as_i64(), r["run_b_id"].as_i64()), (Some(a), Some(b)));
    assert!((r["aggregate"]["mean_score_delta"].as_f64().unwrap() - 0.25).abs() < 1e-12);

    // A running run and a sampled one are passed over; a newer completed full run is taken.
    run(&t, "ch", "canary", &all(0.0), false).await;
    let (s, sampled) = t.post("/api/runs", json!({"bench": "ch", "channel": "canary", "mode": "sampled", "sample_size": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{sampled}");
    let sid = sampled["id"].as_i64().unwrap();
    let (s, e) = t.post(&format!("/api/runs/{sid}/complete"), json!({})).await;
    assert!(s.is_success(), "{e}");
    let (_, r) = t.get("/api/benches/ch/compare?x=production&y=canary").await;
    assert_eq!(r["run_b_id"], b, "still the completed full run");
    let b2 = run(&t, "ch", "canary", &all(1.0), true).await;
    let (_, r) = t.get("/api/benches/ch/compare?y=canary&x=production").await;
    assert_eq!((r["run_a_id"].as_i64(), r["run_b_id"].as_i64()), (Some(a), Some(b2)), "the link follows new runs");

    for (q, status, field) in [
        ("x=production", StatusCode::UNPROCESSABLE_ENTITY, "y"),
        ("y=canary", StatusCode::UNPROCESSABLE_ENTITY, "x"),
        ("x=staging&y=canary", StatusCode::NOT_FOUND, "x"),
        ("x=production&y=nowhere", StatusCode::NOT_FOUND, "y"),
        ("x=production&y=canary&target_delta=-1", StatusCode::UNPROCESSABLE_ENTITY, "target_delta"),
        ("x=production&y=canary&target_delta=", StatusCode::UNPROCESSABLE_ENTITY, "target_delta"),
        ("x=&y=canary", StatusCode::UNPROCESSABLE_ENTITY, "x"),
    ] {
        let (s, e) = t.get(&format!("/api/benches/ch/compare?{q}")).await;
        assert_eq!(s, status, "{q}: {e}");
        assert_eq!(e["error"]["field"], field, "{q}: {e}");
    }
    let (s, e) = t.get("/api/benches/none/compare?x=a&y=b").await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::NOT_FOUND, Some("bench")), "{e}");
}

async fn compare_says_what_it_can_detect_and_which_regressions_are_flaky(t: TestApp) {
    let cases = ["c1", "c2", "c3", "c4", "c5", "c6"];
    t.seed_bench("pw", &cases).await;
    // c1 has flipped on production before: fail, then pass.
    run(&t, "pw", "production", &[("c1", 1, 0.0)], true).await;
    let a_scores = [1.0, 1.0, 0.75, 0.5, 0.25, 1.0];
    let b_scores = [0.0, 0.0, 0.75, 0.75, 0.5, 1.0];
    let res = |s: &[f64; 6]| cases.iter().zip(s).map(|(c, v)| (*c, 1i64, *v)).collect::<Vec<_>>();
    let a = run(&t, "pw", "production", &res(&a_scores), true).await;
    // Run b is on a new workflow version: its changes are changes, not flips.
    let (s, e) = t.post("/api/scripts/workflow/wf/versions", json!({"source": "def run(): v2", "channels": ["canary"]})).await;
    assert!(s.is_success(), "{e}");
    let b = run(&t, "pw", "canary", &res(&b_scores), true).await;

    let (s, r) = t.get(&format!("/api/runs/{a}/compare/{b}?target_delta=0.1")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let deltas: Vec<f64> = a_scores.iter().zip(&b_scores).map(|(x, y)| y - x).collect();
    let n = deltas.len() as f64;
    let mean = deltas.iter().sum::<f64>() / n;
    let sd = (deltas.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let sig = &r["aggregate"]["significance"];
    assert!((sig["delta_sd"].as_f64().unwrap() - sd).abs() < 1e-12, "{sig}");
    assert!((sig["min_detectable_delta"].as_f64().unwrap() - Z * sd / n.sqrt()).abs() < 1e-12, "{sig}");
    assert_eq!(sig["target_delta"], 0.1);
    assert_eq!(sig["cases_needed"], (Z * sd / 0.1).powi(2).ceil() as i64);
    // Two flips among six pairs: McNemar could not reach p < 0.05 even if every flip went one
    // way (2·2⁻⁶·… ), so no pass-rate change is detectable and the report says null.
    assert_eq!(sig["pass_to_fail"], 2, "{sig}");
    assert_eq!(sig["min_detectable_pass_rate_delta"], Value::Null, "{sig}");
    // c1 and c2 regressed; c1 is known-flaky (it flipped across its production runs).
    let f = &r["flaky"];
    assert_eq!((f["regressions"].as_i64(), f["regressions_flaky"].as_i64()), (Some(2), Some(1)), "{f}");
    assert_eq!((f["improvements"].as_i64(), f["improvements_flaky"].as_i64()), (Some(2), Some(0)), "{f}");
    assert_eq!(f["flaky_case_ids"], json!(["c1"]));
    // Without a target nothing is sized.
    let (_, r) = t.get(&format!("/api/runs/{a}/compare/{b}")).await;
    assert_eq!((r["aggregate"]["significance"]["target_delta"].clone(), r["aggregate"]["significance"]["cases_needed"].clone()), (Value::Null, Value::Null));
    for bad in ["0", "-0.1", "x", "inf"] {
        let (s, e) = t.get(&format!("/api/runs/{a}/compare/{b}?target_delta={bad}")).await;
        assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("target_delta")), "{bad}: {e}");
    }
}
