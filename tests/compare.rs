//! Run comparison over HTTP (SPEC §3, §3b, §4), on SQLite and on PostgreSQL: a report computed
//! by hand, the epsilon parameter, errors, the CSV export, N-way, and the published
//! `akribes-sdk` client decoding the seed's route over a real socket.

mod common;

use assay::server::config::AuthMode;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{approx, TestApp};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

on_both_backends!(
    a_small_comparison_matches_the_hand_computed_report,
    warnings_name_bench_judge_version_and_selection,
    epsilon_parameter_moves_the_flags_and_bad_ones_are_422,
    unknown_runs_are_404_naming_the_run,
    csv_export_quotes_untrusted_text_and_defuses_formulas,
    n_way_flags_columns_against_the_baseline,
    akribes_sdk_decodes_the_seed_compare_route,
    case_diff_shows_expected_and_both_outputs,
);

/// The flag of every case of a report, in its order.
fn flags(report: &Value) -> Vec<&str> {
    report["per_case"].as_array().unwrap().iter().map(|c| c["flag"].as_str().unwrap()).collect()
}

async fn push(t: &TestApp, run: i64, results: Value) {
    let (s, e) = t
        .post(
            &format!("/api/runs/{run}/results"),
            json!({ "results": results }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

async fn complete(t: &TestApp, run: i64) {
    let (s, e) = t
        .post(&format!("/api/runs/{run}/complete"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

/// Runs a (production) and b (canary) of bench `cmp`, with values that are exact in binary so
/// every expectation below is exact:
///
/// | case | a                        | b                                   | flag       |
/// |------|--------------------------|-------------------------------------|------------|
/// | c1   | ok 0.75, $0.25           | epochs ok 0.5 + ok 1.0, $0.125 each | unchanged  |
/// | c2   | ok 0.625, $0.25          | ok 0.25, $0.5                       | regressed  |
/// | c3   | ok 0.25, $0.25           | ok 0.875, $0.125                    | improved   |
/// | c4   | workflow_failed, $0.25   | ok 0.5, $0.25                       | improved   |
/// | c5   | ok 0.5, $0.5             | —                                   | missing_b  |
/// | c6   | —                        | skipped, $0                         | missing_a  |
async fn two_runs(t: &TestApp) -> (i64, i64) {
    t.seed_bench("cmp", &["c1", "c2", "c3", "c4", "c5", "c6"])
        .await;
    let a = t.trigger("cmp", "production").await;
    push(
        t,
        a,
        json!([
            {"case_id": "c1", "status": "ok", "headline_score": 0.75, "cost_usd": 0.25, "duration_ms": 100,
             "dimension_scores": {"acc": 1.0, "tone": 0.5}},
            {"case_id": "c2", "status": "ok", "headline_score": 0.625, "cost_usd": 0.25, "duration_ms": 300,
             "dimension_scores": {"acc": 0.5}},
            {"case_id": "c3", "status": "ok", "headline_score": 0.25, "cost_usd": 0.25},
            {"case_id": "c4", "status": "workflow_failed", "error": "boom", "cost_usd": 0.25},
            {"case_id": "c5", "status": "ok", "headline_score": 0.5, "cost_usd": 0.5}
        ]),
    )
    .await;
    complete(t, a).await;
    let b = t.trigger("cmp", "canary").await;
    push(
        t,
        b,
        json!([
            {"case_id": "c1", "epoch": 1, "status": "ok", "headline_score": 0.5, "cost_usd": 0.125, "dimension_scores": {"acc": 0.5}},
            {"case_id": "c1", "epoch": 2, "status": "ok", "headline_score": 1.0, "cost_usd": 0.125,
             "dimension_scores": {"acc": 1.0, "tone": 0.75}},
            {"case_id": "c2", "status": "ok", "headline_score": 0.25, "cost_usd": 0.5, "dimension_scores": {"acc": 0.25}},
            {"case_id": "c3", "status": "ok", "headline_score": 0.875, "cost_usd": 0.125},
            {"case_id": "c4", "status": "ok", "headline_score": 0.5, "cost_usd": 0.25},
            {"case_id": "c6", "status": "skipped"}
        ]),
    )
    .await;
    complete(t, b).await;
    (a, b)
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["per_case"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_id"] == id)
        .unwrap_or_else(|| panic!("case {id}"))
}

async fn a_small_comparison_matches_the_hand_computed_report(t: TestApp) {
    let (a, b) = two_runs(&t).await;
    let (s, r) = t
        .get(&format!("/api/runs/{a}/compare/{b}?case_dimensions=true"))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["run_a_id"].as_i64(), r["run_b_id"].as_i64()),
        (Some(a), Some(b))
    );
    assert!(approx(&r["epsilon"], 1e-9), "1e-9 × score_max 1");
    let ids: Vec<&str> = r["per_case"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["c1", "c2", "c3", "c4", "c5", "c6"],
        "the union, ordered by case id"
    );
    assert_eq!(
        flags(&r),
        [
            "unchanged",
            "regressed",
            "improved",
            "improved",
            "missing_b",
            "missing_a"
        ]
    );

    let c1 = case(&r, "c1");
    assert_eq!(c1["case_label"], "Case c1");
    assert_eq!(
        (
            c1["score_a"].as_f64(),
            c1["score_b"].as_f64(),
            c1["delta"].as_f64()
        ),
        (Some(0.75), Some(0.75), Some(0.0))
    );
    assert_eq!(
        (c1["epochs_a"].as_i64(), c1["epochs_b"].as_i64()),
        (Some(1), Some(2)),
        "epochs averaged"
    );
    assert_eq!(
        (
            c1["cost_a"].as_f64(),
            c1["cost_b"].as_f64(),
            c1["cost_flag"].as_str()
        ),
        (Some(0.25), Some(0.25), Some("cost_unchanged"))
    );
    assert_eq!(
        c1["dimensions"],
        json!([{"a": 1.0, "b": 0.75}, {"a": 0.5, "b": 0.75}]),
        "acc, tone"
    );
    let c2 = case(&r, "c2");
    assert_eq!(
        (
            c2["delta"].as_f64(),
            c2["verdict_a"].as_str(),
            c2["verdict_b"].as_str()
        ),
        (Some(-0.375), Some("pass"), Some("fail"))
    );
    assert_eq!(
        (c2["cost_delta"].as_f64(), c2["cost_flag"].as_str()),
        (Some(0.25), Some("cost_regressed"))
    );
    let c3 = case(&r, "c3");
    assert_eq!(
        (c3["delta"].as_f64(), c3["cost_flag"].as_str()),
        (Some(0.625), Some("cost_improved"))
    );
    let c4 = case(&r, "c4");
    assert_eq!(
        (
            c4["status_a"].as_str(),
            c4["verdict_a"].as_str(),
            c4["score_a"].as_f64()
        ),
        (Some("workflow_failed"), Some("error"), None)
    );
    assert_eq!(
        (c4["status_b"].as_str(), c4["verdict_b"].as_str()),
        (Some("ok"), Some("pass"))
    );
    assert!(c4["delta"].is_null(), "one-sided: no delta");
    let c5 = case(&r, "c5");
    assert_eq!(
        (
            c5["status_b"].clone(),
            c5["cost_b"].as_f64(),
            c5["cost_flag"].as_str()
        ),
        (Value::Null, Some(0.0), Some("cost_improved"))
    );
    let c6 = case(&r, "c6");
    assert_eq!(
        (
            c6["status_b"].as_str(),
            c6["verdict_b"].clone(),
            c6["status_a"].clone()
        ),
        (Some("skipped"), Value::Null, Value::Null)
    );

    let g = &r["aggregate"];
    let n = |k: &str| g[k].as_i64().unwrap_or_else(|| panic!("{k} is a count"));
    assert_eq!(
        (
            n("n_improved"),
            n("n_regressed"),
            n("n_unchanged"),
            n("n_missing_a"),
            n("n_missing_b")
        ),
        (2, 1, 1, 1, 1)
    );
    assert_eq!(
        (
            n("n_cost_regressed"),
            n("n_cost_improved"),
            n("n_cost_unchanged"),
            n("n_cases")
        ),
        (1, 2, 3, 6)
    );
    assert!(
        approx(&g["mean_score_delta"], 0.25 / 3.0),
        "pairs c1 0, c2 −0.375, c3 +0.625"
    );
    assert!(approx(&g["mean_score_a"], 1.625 / 3.0));
    assert!(approx(&g["mean_score_b"], 1.875 / 3.0));
    assert_eq!(
        (
            g["cost_a_usd"].as_f64(),
            g["cost_b_usd"].as_f64(),
            g["cost_delta_usd"].as_f64()
        ),
        (Some(1.5), Some(1.125), Some(-0.375))
    );
    assert_eq!(g["cost_delta_pct"].as_f64(), Some(-25.0));
    assert_eq!(g["cost_regression"], false);
    assert_eq!(g["mean_cost_delta"].as_f64(), Some(-0.0625));
    assert!(
        approx(&g["pass_rate_a"], 0.6),
        "3 pass of 5 verdicts (rows)"
    );
    assert!(
        approx(&g["pass_rate_b"], 0.8),
        "4 pass of 5 verdicts; skipped has none"
    );
    assert!(approx(&g["mean_latency_ms_a"], 200.0));
    assert!(g["mean_latency_ms_b"].is_null());
    assert_eq!(
        g["dimension_deltas"],
        json!([
            {"dimension": "acc", "mean_a": 0.75, "mean_b": 0.5, "delta": -0.25, "n": 2, "n_a": 2, "n_b": 2},
            {"dimension": "tone", "mean_a": 0.5, "mean_b": 0.75, "delta": 0.25, "n": 1, "n_a": 1, "n_b": 1}
        ])
    );
    assert_eq!(r["dimensions"], json!(["acc", "tone"]));
    assert_eq!(g["dimension_basis"], "cases");
    let tr = &g["transitions"];
    assert_eq!(tr["verdicts"], json!(["pass", "fail", "error", "none"]));
    assert_eq!(
        tr["counts"],
        json!([[1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]),
        "c1 pass→pass, c2 pass→fail, c3 fail→pass, c4 error→pass"
    );
    let sig = &g["significance"];
    assert_eq!(
        (
            sig["method"].as_str(),
            sig["n_pairs"].as_i64(),
            sig["resamples"].as_i64()
        ),
        (Some("bootstrap"), Some(3), Some(2000))
    );
    let (lo, hi) = (
        sig["ci_low"].as_f64().unwrap(),
        sig["ci_high"].as_f64().unwrap(),
    );
    assert!(
        lo <= 0.25 / 3.0 && 0.25 / 3.0 <= hi && lo < 0.0 && hi > 0.0,
        "[{lo}, {hi}]"
    );
    assert!(
        lo >= -0.375 && hi <= 0.625,
        "a mean of resampled deltas stays within them"
    );
    assert_eq!(sig["significant"], false);
    assert_eq!(
        (
            sig["pass_to_fail"].as_i64(),
            sig["fail_to_pass"].as_i64(),
            sig["mcnemar_p"].as_f64()
        ),
        (Some(1), Some(1), Some(1.0))
    );
    assert_eq!(r["warnings"], json!([]));
    assert_eq!(
        (
            r["run_a"]["channel"].as_str(),
            r["run_b"]["channel"].as_str()
        ),
        (Some("production"), Some("canary"))
    );
    assert_eq!(r["run_a"]["bench_name"], "cmp");
    assert_eq!(r["run_b"]["status"], "completed");

    // The same request gives the same interval.
    let (_, again) = t
        .get(&format!("/api/runs/{a}/compare/{b}?case_dimensions=true"))
        .await;
    assert_eq!(again, r);
    // By default dimension deltas come from the runs' aggregates (over results, not cases) and
    // rows carry no dimensions; everything else is the same report.
    let (s, lean) = t.get(&format!("/api/runs/{a}/compare/{b}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(lean["aggregate"]["dimension_basis"], "runs");
    let acc = &lean["aggregate"]["dimension_deltas"][0];
    assert_eq!(
        (
            acc["dimension"].as_str(),
            acc["mean_a"].as_f64(),
            acc["n_a"].as_i64(),
            acc["n_b"].as_i64(),
            acc["n"].as_i64()
        ),
        (Some("acc"), Some(0.75), Some(2), Some(3), Some(0))
    );
    assert!(
        approx(&acc["mean_b"], 1.75 / 3.0),
        "b's acc over its 3 results: 0.5, 1.0, 0.25"
    );
    assert!(approx(&acc["delta"], 1.75 / 3.0 - 0.75));
    assert!(lean["per_case"][0].get("dimensions").is_none());
    let strip = |v: &Value| {
        let mut v = v.clone();
        for c in v["per_case"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("dimensions");
        }
        for k in ["dimension_basis", "dimension_deltas"] {
            v["aggregate"].as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(strip(&lean), strip(&r));
    // The seed's route serves the same report.
    let (s, seed) = t.get(&format!("/bench-runs/{a}/compare/{b}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(seed, lean);
    // The other way round: flags mirror, and the seed differs.
    let (_, back) = t.get(&format!("/api/runs/{b}/compare/{a}")).await;
    assert_eq!(
        flags(&back),
        [
            "unchanged",
            "improved",
            "regressed",
            "regressed",
            "missing_a",
            "missing_b"
        ]
    );
    assert_ne!(back["aggregate"]["significance"]["seed"], sig["seed"]);
    assert!(approx(
        &back["aggregate"]["cost_delta_pct"],
        0.375 / 1.125 * 100.0
    ));
    assert_eq!(back["aggregate"]["cost_regression"], true);

    // Reads follow --auth: with `required` a compare needs a read token.
    let Some(locked) = TestApp::with_auth(t.kind(), AuthMode::Required).await else {
        return;
    };
    let (s, _) = locked.get("/api/runs/1/compare/2").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = locked
        .send(
            axum::http::Method::GET,
            "/api/runs/1/compare/2",
            Some(&locked.read),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "authorised, then the runs are unknown"
    );
    let (s, _) = locked.get("/api/compare?runs=1,2").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = locked.get("/bench-runs/1/compare/2").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn warnings_name_bench_judge_version_and_selection(t: TestApp) {
    t.seed_bench("w1", &["a", "b", "c"]).await;
    t.seed_bench("w2", &["a", "b", "c"]).await;
    let base = t.trigger("w1", "production").await;
    let codes = |r: &Value| {
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let same = t.trigger("w1", "canary").await;
    let (_, r) = t.get(&format!("/api/runs/{base}/compare/{same}")).await;
    assert_eq!(codes(&r), Vec::<String>::new());

    let other_bench = t.trigger("w2", "production").await;
    let (s, r) = t
        .get(&format!("/api/runs/{base}/compare/{other_bench}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(codes(&r), ["different_bench"]);
    assert!(r["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("'w2'"));

    let (s, _) = t
        .post(
            "/api/runs",
            json!({"bench": "w1", "channel": "production", "mode": "sampled", "sample_size": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, page) = t.get("/api/runs?bench=w1&limit=1").await;
    let sampled = page["runs"][0]["id"].as_i64().unwrap();
    let (_, r) = t.get(&format!("/api/runs/{base}/compare/{sampled}")).await;
    assert_eq!(codes(&r), ["different_selection"]);
    assert!(r["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("sample of 2"));

    let (s, named) = t
        .post(
            "/api/runs",
            json!({"bench": "w1", "channel": "production", "case_ids": ["a", "b"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let named = named["id"].as_i64().unwrap();
    let (_, r) = t.get(&format!("/api/runs/{base}/compare/{named}")).await;
    assert_eq!(
        codes(&r),
        ["different_selection"],
        "explicit case ids against a full run"
    );
    let (_, same_named) = t
        .post(
            "/api/runs",
            json!({"bench": "w1", "channel": "canary", "case_ids": ["b", "a"]}),
        )
        .await;
    let (_, r) = t
        .get(&format!("/api/runs/{named}/compare/{}", same_named["id"]))
        .await;
    assert_eq!(codes(&r), Vec::<String>::new(), "the same named set");

    let (s, v) = t
        .post(
            "/api/scripts/judge/jd/versions",
            json!({"source": "def judge(): return 2", "channels": ["production"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let rejudged = t.trigger("w1", "production").await;
    let (_, r) = t.get(&format!("/api/runs/{base}/compare/{rejudged}")).await;
    assert_eq!(codes(&r), ["different_judge_version"]);
    assert!(r["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("jd v2"));
    let (_, r) = t
        .get(&format!("/api/runs/{other_bench}/compare/{rejudged}"))
        .await;
    assert_eq!(codes(&r), ["different_bench", "different_judge_version"]);
}

async fn epsilon_parameter_moves_the_flags_and_bad_ones_are_422(t: TestApp) {
    t.seed_bench("eps", &["a", "b"]).await;
    let (s, _) = t
        .put(
            "/api/benches/hundred",
            json!({"workflow": "wf", "judge": "jd", "score_max": 100.0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let x = t.trigger("eps", "production").await;
    push(&t, x, json!([{"case_id": "a", "status": "ok", "headline_score": 0.5}, {"case_id": "b", "status": "ok", "headline_score": 0.5}])).await;
    let y = t.trigger("eps", "canary").await;
    push(&t, y, json!([{"case_id": "a", "status": "ok", "headline_score": 0.5625}, {"case_id": "b", "status": "ok", "headline_score": 0.25}])).await;
    let (_, r) = t.get(&format!("/api/runs/{x}/compare/{y}")).await;
    assert_eq!(flags(&r), ["improved", "regressed"]);
    let (s, r) = t
        .get(&format!("/api/runs/{x}/compare/{y}?epsilon=0.1"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(flags(&r), ["unchanged", "regressed"]);
    assert!(approx(&r["epsilon"], 0.1));
    assert_eq!(
        (
            r["aggregate"]["n_unchanged"].as_i64(),
            r["aggregate"]["n_regressed"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let (_, r) = t
        .get(&format!("/api/runs/{x}/compare/{y}?epsilon=0.0625"))
        .await;
    assert_eq!(
        flags(&r),
        ["unchanged", "regressed"],
        "|Δ| equal to epsilon is unchanged"
    );
    let (_, r) = t
        .get(&format!("/api/runs/{x}/compare/{y}?epsilon=0.25"))
        .await;
    assert_eq!(flags(&r), ["unchanged", "unchanged"]);
    // An empty epsilon is not a number: refused, as the OpenAPI document says (the pages leave
    // the parameter out instead).
    let (s, e) = t.get(&format!("/api/runs/{x}/compare/{y}?epsilon=")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "epsilon");
    let (_, r) = t.get(&format!("/api/runs/{x}/compare/{y}")).await;
    assert_eq!(flags(&r), ["improved", "regressed"], "no epsilon is the default");
    let (_, r) = t
        .get(&format!("/bench-runs/{x}/compare/{y}?epsilon=0.5"))
        .await;
    assert_eq!(
        flags(&r),
        ["unchanged", "unchanged"],
        "the seed's route takes it too"
    );
    for bad in ["-0.1", "NaN", "inf", "abc", "1e400"] {
        for path in [
            format!("/api/runs/{x}/compare/{y}?epsilon={bad}"),
            format!("/bench-runs/{x}/compare/{y}?epsilon={bad}"),
            format!("/api/compare?runs={x},{y}&epsilon={bad}"),
        ] {
            let (s, e) = t.get(&path).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            assert_eq!(e["error"]["field"], "epsilon", "{path}");
        }
    }
    let (s, e) = t
        .get(&format!("/api/runs/{x}/compare/{y}?format=xml"))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("format"))
    );
    let (s, e) = t
        .get(&format!("/api/runs/{x}/compare/{y}?case_dimensions=maybe"))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("case_dimensions"))
    );
    // The default epsilon scales with the baseline's score_max.
    t.put(
        "/api/benches/hundred/cases",
        json!({"cases": [{"id": "a"}]}),
    )
    .await;
    let h = t.trigger("hundred", "production").await;
    push(
        &t,
        h,
        json!([{"case_id": "a", "status": "ok", "headline_score": 70.0}]),
    )
    .await;
    let (_, r) = t.get(&format!("/api/runs/{h}/compare/{h}")).await;
    assert!(approx(&r["epsilon"], 1e-7));
    assert_eq!(flags(&r), ["unchanged"]);
}

async fn unknown_runs_are_404_naming_the_run(t: TestApp) {
    t.seed_bench("nf", &["a"]).await;
    let x = t.trigger("nf", "production").await;
    for (path, missing) in [
        (format!("/api/runs/987654/compare/{x}"), "987654"),
        (format!("/api/runs/{x}/compare/987655"), "987655"),
        (format!("/bench-runs/{x}/compare/987656"), "987656"),
        (format!("/api/runs/nope/compare/{x}"), "nope"),
        (format!("/api/compare?runs={x},987657"), "987657"),
    ] {
        let (s, e) = t.get(&path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(missing),
            "{path}: {e}"
        );
    }
    let (s, r) = t.get(&format!("/api/runs/{x}/compare/{x}")).await;
    assert_eq!(s, StatusCode::OK, "two empty runs compare fine");
    assert_eq!(
        (
            r["per_case"].clone(),
            r["aggregate"]["mean_score_delta"].as_f64()
        ),
        (json!([]), Some(0.0))
    );
    assert!(r["aggregate"]["significance"]["ci_low"].is_null());
}

/// GET returning the raw answer: status, content type, content disposition and body text.
async fn get_raw(t: &TestApp, path: &str) -> (StatusCode, String, String, String) {
    let res = t
        .app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |h: &str| {
        res.headers()
            .get(h)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, cd, String::from_utf8(body.to_vec()).unwrap())
}

async fn csv_export_quotes_untrusted_text_and_defuses_formulas(t: TestApp) {
    t.seed_bench("csv", &["plain"]).await;
    let (s, _) = t
        .put(
            "/api/benches/csv/cases",
            json!({"cases": [
                {"id": "=cmd|' /C calc'!A0", "name": null},
                {"id": "quoted", "name": "Say \"hi\", then go"},
                {"id": "multi", "name": "two\nlines"},
                {"id": "@sum", "name": "+1 or -1"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let a = t.trigger("csv", "production").await;
    push(&t, a, json!([
        {"case_id": "plain", "status": "ok", "headline_score": 0.5, "cost_usd": 0.25, "dimension_scores": {"acc": 0.5}},
        {"case_id": "=cmd|' /C calc'!A0", "status": "ok", "headline_score": 0.75},
        {"case_id": "quoted", "status": "workflow_failed"},
        {"case_id": "multi", "status": "ok", "headline_score": 1.0}
    ]))
    .await;
    let b = t.trigger("csv", "canary").await;
    push(&t, b, json!([
        {"case_id": "plain", "status": "ok", "headline_score": 0.25, "cost_usd": 0.5, "dimension_scores": {"acc": 0.75}},
        {"case_id": "=cmd|' /C calc'!A0", "status": "ok", "headline_score": 0.75},
        {"case_id": "quoted", "status": "ok", "headline_score": 0.5},
        {"case_id": "@sum", "status": "skipped"}
    ]))
    .await;
    let (s, ct, cd, body) = get_raw(&t, &format!("/api/runs/{a}/compare/{b}?format=csv")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert_eq!(cd, format!("attachment; filename=\"compare-{a}-{b}.csv\""));
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "case_id,case_label,flag,score_a,score_b,delta,status_a,status_b,verdict_a,verdict_b,epochs_a,epochs_b,\
         cost_a,cost_b,cost_delta,cost_flag,acc (a),acc (b)"
    );
    // Rows in case id order (bytes): "=cmd…" < "@sum" < "multi" < "plain" < "quoted".
    assert_eq!(lines[1], "'=cmd|' /C calc'!A0,'=cmd|' /C calc'!A0,unchanged,0.75,0.75,0,ok,ok,pass,pass,1,1,0,0,0,cost_unchanged,,");
    assert_eq!(
        lines[2],
        "'@sum,'+1 or -1,missing_a,,,,,skipped,,,0,1,0,0,0,cost_unchanged,,"
    );
    assert_eq!(
        lines[3],
        "multi,\"two\nlines\",missing_b,1,,,ok,,pass,,1,0,0,0,0,cost_unchanged,,"
    );
    assert_eq!(lines[4], "plain,Case plain,regressed,0.5,0.25,-0.25,ok,ok,pass,fail,1,1,0.25,0.5,0.25,cost_regressed,0.5,0.75");
    assert_eq!(lines[5], "quoted,\"Say \"\"hi\"\", then go\",improved,,0.5,,workflow_failed,ok,error,pass,1,1,0,0,0,cost_unchanged,,");
    assert_eq!(lines[6], "", "the last row ends with CRLF");
    assert_eq!(lines.len(), 7);
    let (s, ct, _, body) = get_raw(&t, &format!("/api/runs/{a}/compare/{b}?format=json")).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/json"));
    assert!(serde_json::from_str::<Value>(&body).unwrap()["per_case"].is_array());
}

async fn n_way_flags_columns_against_the_baseline(t: TestApp) {
    let (a, b) = two_runs(&t).await;
    let c = t.trigger("cmp", "production").await;
    push(
        &t,
        c,
        json!([{"case_id": "c1", "status": "ok", "headline_score": 0.25, "cost_usd": 1.0},
                       {"case_id": "c5", "status": "ok", "headline_score": 0.5}]),
    )
    .await;
    let (s, r) = t.get(&format!("/api/compare?runs={a},{b},{c}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["run_ids"], json!([a, b, c]));
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let flags = |row: &Value| {
        row["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["flag"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let f = |x: &str| Some(x.to_string());
    assert_eq!(
        flags(&rows[0]),
        [None, f("unchanged"), f("regressed")],
        "c1: 0.75 / 0.75 / 0.25"
    );
    assert_eq!(
        flags(&rows[1]),
        [None, f("regressed"), f("missing_b")],
        "c2"
    );
    assert_eq!(
        flags(&rows[4]),
        [None, f("missing_b"), f("unchanged")],
        "c5"
    );
    assert_eq!(
        flags(&rows[5]),
        [None, f("missing_a"), None],
        "c6: in neither the baseline nor run c"
    );
    assert_eq!(rows[0]["case_label"], "Case c1");
    assert_eq!(rows[0]["cells"][2]["delta"].as_f64(), Some(-0.5));
    assert_eq!(rows[0]["cells"][1]["verdict"], "pass");
    assert_eq!(rows[3]["cells"][0]["status"], "workflow_failed");
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs[1]["run"]["id"].as_i64(), Some(b));
    let counts = |s: &Value| {
        [
            "n_improved",
            "n_regressed",
            "n_unchanged",
            "n_missing_a",
            "n_missing_b",
        ]
        .map(|k| s[k].as_i64().unwrap())
    };
    assert_eq!(counts(&runs[0]), [0, 0, 0, 0, 0]);
    assert_eq!(
        counts(&runs[1]),
        [2, 1, 1, 1, 1],
        "the same flags as the pairwise compare"
    );
    assert_eq!(counts(&runs[2]), [0, 1, 1, 0, 3]);
    assert!(approx(&runs[1]["mean_score_delta"], 0.25 / 3.0));
    assert!(approx(&runs[2]["mean_score_delta"], -0.25), "c1 −0.5, c5 0");
    assert_eq!(
        (
            runs[0]["cost_usd"].as_f64(),
            runs[2]["cost_usd"].as_f64(),
            runs[2]["cost_delta_usd"].as_f64()
        ),
        (Some(1.5), Some(1.0), Some(-0.5))
    );
    assert_eq!(
        (runs[0]["n_cases"].as_i64(), runs[1]["mean_score"].as_f64()),
        (Some(5), Some((0.75 + 0.25 + 0.875 + 0.5) / 4.0))
    );
    assert_eq!(r["warnings"], json!([]));
    // The pairwise report agrees with column b.
    let (_, pair) = t.get(&format!("/api/runs/{a}/compare/{b}")).await;
    for (row, pc) in rows.iter().zip(pair["per_case"].as_array().unwrap()) {
        assert_eq!(row["cells"][1]["flag"], pc["flag"]);
        assert_eq!(row["cells"][1]["score"], pc["score_b"]);
    }
    // Flag filter: rows where any column regressed.
    let (_, r) = t
        .get(&format!("/api/compare?runs={a},{b},{c}&flag=regressed"))
        .await;
    let ids: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
    let (_, r) = t
        .get(&format!(
            "/api/compare?runs={a},{b}&flag=missing_a,missing_b&epsilon=1"
        ))
        .await;
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
    assert_eq!(
        r["runs"][1]["n_unchanged"].as_i64(),
        Some(3),
        "epsilon 1 makes every pair scored in both unchanged"
    );
    assert_eq!(
        r["runs"][1]["n_improved"].as_i64(),
        Some(1),
        "c4, scored in b only, still improved"
    );
    // 422s name the field.
    let nine = (0..9)
        .map(|i| (a + i).to_string())
        .collect::<Vec<_>>()
        .join(",");
    for (q, field) in [
        (format!("runs={a}"), "runs"),
        (nine, "runs"),
        (String::new(), "runs"),
        (format!("runs={a},x"), "runs"),
        (format!("runs={a},{a}"), "runs"),
        (format!("runs={a},{b}&flag=worse"), "flag"),
        (format!("runs={a},{b}&epsilon=-1"), "epsilon"),
    ] {
        let q = if q.starts_with("runs") || q.is_empty() {
            q
        } else {
            format!("runs={q}")
        };
        let (s, e) = t.get(&format!("/api/compare?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {e}");
        assert_eq!(e["error"]["field"], field, "{q}");
    }
    // Eight runs are fine.
    let mut eight = vec![a, b, c];
    for _ in 0..5 {
        eight.push(t.trigger("cmp", "canary").await);
    }
    let list = eight
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let (s, r) = t.get(&format!("/api/compare?runs={list}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["runs"].as_array().unwrap().len(), 8);
    assert_eq!(
        r["runs"][7]["n_missing_b"].as_i64(),
        Some(5),
        "an empty run misses every baseline case"
    );
}

async fn akribes_sdk_decodes_the_seed_compare_route(t: TestApp) {
    let (a, b) = two_runs(&t).await;
    let base = t.serve().await;
    let client = akribes_sdk::AkribesClient::builder(base)
        .token(t.read.clone())
        .build();
    let report = client
        .bench_runs()
        .compare(a, b)
        .await
        .expect("the seed's client decodes the report");
    let (_, api) = t.get(&format!("/api/runs/{a}/compare/{b}")).await;
    assert_eq!((report.run_a_id, report.run_b_id), (a, b));
    let g = &report.aggregate;
    let ag = &api["aggregate"];
    assert_eq!(g.mean_score_delta, ag["mean_score_delta"].as_f64().unwrap());
    assert_eq!(g.cost_delta_usd, ag["cost_delta_usd"].as_f64().unwrap());
    assert_eq!(g.mean_cost_delta, ag["mean_cost_delta"].as_f64().unwrap());
    assert_eq!(g.cost_delta_pct, ag["cost_delta_pct"].as_f64());
    assert_eq!(g.cost_delta_pct, Some(-25.0));
    assert_eq!(g.cost_regression, ag["cost_regression"].as_bool().unwrap());
    for (got, key) in [
        (g.n_regressed, "n_regressed"),
        (g.n_improved, "n_improved"),
        (g.n_unchanged, "n_unchanged"),
        (g.n_cost_regressed, "n_cost_regressed"),
        (g.n_cost_improved, "n_cost_improved"),
        (g.n_cost_unchanged, "n_cost_unchanged"),
    ] {
        assert_eq!(got as i64, ag[key].as_i64().unwrap(), "{key}");
    }
    assert_eq!((g.n_improved, g.n_regressed, g.n_unchanged), (2, 1, 1));
    let rows = api["per_case"].as_array().unwrap();
    assert_eq!(report.per_case.len(), rows.len());
    for (c, row) in report.per_case.iter().zip(rows) {
        assert_eq!(c.case_id, row["case_id"]);
        assert_eq!(c.case_label, row["case_label"]);
        assert_eq!(c.score_a, row["score_a"].as_f64(), "{}", c.case_id);
        assert_eq!(c.score_b, row["score_b"].as_f64(), "{}", c.case_id);
        assert_eq!(c.delta, row["delta"].as_f64(), "{}", c.case_id);
        assert_eq!(c.flag, row["flag"]);
        assert_eq!(c.cost_a, row["cost_a"].as_f64().unwrap());
        assert_eq!(c.cost_b, row["cost_b"].as_f64().unwrap());
        assert_eq!(c.cost_delta, row["cost_delta"].as_f64().unwrap());
        assert_eq!(c.cost_flag, row["cost_flag"]);
    }
    let c6 = report.per_case.iter().find(|c| c.case_id == "c6").unwrap();
    assert_eq!(
        (c6.flag.as_str(), c6.score_a, c6.cost_a),
        ("missing_a", None, 0.0)
    );
    // Unknown runs: the client reports the 404.
    match client.bench_runs().compare(a, 987_654).await {
        Err(akribes_sdk::AkribesError::HttpStatus { status: 404, .. }) => {}
        other => panic!("expected a 404, got {other:?}"),
    }
}

async fn case_diff_shows_expected_and_both_outputs(t: TestApp) {
    t.seed_bench("diff", &["x"]).await;
    let (s, _) = t
        .put(
            "/api/benches/diff/cases",
            json!({"cases": [{"id": "x", "inputs": {"q": "x"}, "expected_output": "the refund is on its way"},
                             {"id": "json", "inputs": {"q": 1}}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let a = t.trigger("diff", "production").await;
    push(&t, a, json!([{"case_id": "x", "status": "ok", "headline_score": 1.0, "output": "the refund is on its way"},
                       {"case_id": "json", "status": "ok", "headline_score": 1.0, "output": {"answer": 42}}]))
    .await;
    let b = t.trigger("diff", "canary").await;
    push(&t, b, json!([{"case_id": "x", "epoch": 2, "status": "ok", "output": "later epoch"},
                       {"case_id": "x", "epoch": 1, "status": "ok", "output": "the refund was sent today"}]))
    .await;
    let d = t.store.compare_case_diff(a, b, "x").await.unwrap();
    assert_eq!(d.expected.as_deref(), Some("the refund is on its way"));
    assert_eq!(d.output_a.as_deref(), Some("the refund is on its way"));
    assert_eq!(
        d.output_b.as_deref(),
        Some("the refund was sent today"),
        "the lowest epoch"
    );
    let ea = d.expected_vs_a.unwrap();
    assert_eq!(
        ea.segments.len(),
        1,
        "identical texts are one equal segment"
    );
    let ab = d.a_vs_b.unwrap();
    let deleted: String = ab
        .segments
        .iter()
        .filter(|s| s.op == assay::model::DiffOp::Delete)
        .map(|s| s.text.as_str())
        .collect();
    assert!(deleted.contains("is") && deleted.contains("way"), "{ab:?}");
    assert!(!ab.too_large && !ab.timed_out);
    let j = t.store.compare_case_diff(a, b, "json").await.unwrap();
    assert_eq!(
        j.output_a.as_deref(),
        Some(r#"{"answer":42}"#),
        "JSON outputs as JSON text"
    );
    assert_eq!(
        (j.output_b.clone(), j.expected.clone(), j.a_vs_b.clone()),
        (None, None, None)
    );
    let e = t
        .store
        .compare_case_diff(a, b, "nothing")
        .await
        .unwrap_err();
    assert!(e.is_not_found());
    let e = t
        .store
        .compare_case_diff(a, 987_654, "x")
        .await
        .unwrap_err();
    assert!(e.is_not_found() && e.to_string().contains("987654"), "{e}");
}
