//! Exports through the real router on both backends: a run's results as CSV and JSON Lines
//! (every result and epoch, several store chunks, filters, formula guards, the same rows as the
//! JSON pages), read back whole under gzip, br and identity; the N-way matrix as CSV; and both
//! behind the auth gate.

mod common;

use assay::server::config::AuthMode;
use axum::http::{header, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

on_both_backends!(
    results_export_every_row_under_every_encoding,
    results_export_guards_cells_and_applies_filters,
    nway_matrix_exports_as_csv,
);

/// RFC 4180 records: quoted cells may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "rows end in CRLF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("a bare LF outside quotes"),
            c => cell.push(c),
        }
    }
    assert!(row.is_empty() && cell.is_empty(), "the last row ends in CRLF");
    rows
}

async fn push(t: &TestApp, run: i64, results: Vec<Value>) {
    for chunk in results.chunks(1_000) {
        let (s, b) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": chunk })).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
}

/// Every row of the JSON pages, in order.
async fn json_pages(t: &TestApp, run: i64, filter: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = t.get(&format!("/api/runs/{run}/results?limit=500{filter}{cursor}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        out.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

async fn results_export_every_row_under_every_encoding(t: TestApp) {
    let cases: Vec<String> = (0..1_100).map(|i| format!("case-{i:04}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("exp", &refs).await;
    let run = t.trigger("exp", "production").await;
    // Two epochs of every case: 2,200 rows, three store chunks of 1,000.
    let results: Vec<Value> = cases
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            (1..=2).map(move |e| {
                json!({"case_id": c, "epoch": e, "status": "ok", "headline_score": (i % 10) as f64 / 10.0,
                       "output": format!("answer {i} epoch {e}")})
            })
        })
        .collect();
    push(&t, run, results).await;
    let pages = json_pages(&t, run, "").await;
    assert_eq!(pages.len(), 2_200);
    for finished in [false, true] {
        for encoding in ["gzip", "br", "identity"] {
            let (s, h, body) = t.get_decoded(&format!("/api/runs/{run}/results?format=jsonl"), encoding, None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(h[header::CONTENT_TYPE], "application/x-ndjson");
            assert_eq!(h[header::CONTENT_DISPOSITION], format!("attachment; filename=\"run-{run}-results.jsonl\""));
            if encoding != "identity" {
                assert_eq!(h[header::CONTENT_ENCODING], encoding, "compressed, so the fused stream is what is tested");
            }
            let text = String::from_utf8(body).unwrap();
            let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
            assert_eq!(rows, pages, "finished={finished} {encoding}: the JSON pages' rows, every one, in order");

            let (s, h, body) = t.get_decoded(&format!("/api/runs/{run}/results?format=csv"), encoding, None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
            assert_eq!(h[header::CONTENT_DISPOSITION], format!("attachment; filename=\"run-{run}-results.csv\""));
            let rows = parse_csv(&String::from_utf8(body).unwrap());
            assert_eq!(rows[0][..5], ["id", "run_id", "case_id", "case_name", "epoch"]);
            assert_eq!(rows.len(), 1 + 2_200, "a header and every result");
            let keys: Vec<(String, String)> = rows[1..].iter().map(|r| (r[2].clone(), r[4].clone())).collect();
            let want: Vec<(String, String)> =
                pages.iter().map(|p| (p["case_id"].as_str().unwrap().to_string(), p["epoch"].to_string())).collect();
            assert_eq!(keys, want, "{encoding}");
            assert!(rows[1..].iter().all(|r| r.len() == rows[0].len()));
        }
        if !finished {
            let (s, b) = t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    // An empty run: the CSV header alone, no JSON lines.
    let empty = t.trigger("exp", "production").await;
    let (_, _, body) = t.get_decoded(&format!("/api/runs/{empty}/results?format=csv"), "gzip", None).await;
    assert_eq!(parse_csv(&String::from_utf8(body).unwrap()).len(), 1);
    let (_, _, body) = t.get_decoded(&format!("/api/runs/{empty}/results?format=jsonl"), "gzip", None).await;
    assert!(body.is_empty());
    // Refusals come before any byte: a JSON error, not a broken download.
    for (path, status, field) in [
        ("/api/runs/987654/results?format=csv", StatusCode::NOT_FOUND, None),
        (&*format!("/api/runs/{run}/results?format=xml"), StatusCode::UNPROCESSABLE_ENTITY, Some("format")),
        (&*format!("/api/runs/{run}/results?format=jsonl&q=a%00"), StatusCode::BAD_REQUEST, Some("url")),
        (&*format!("/api/runs/{run}/results?format=csv&sort=height"), StatusCode::UNPROCESSABLE_ENTITY, Some("sort")),
    ] {
        let (s, h, body) = t.get_decoded(path, "gzip", None).await;
        assert_eq!(s, status, "{path}");
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"), "{path}");
        let e: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(e["error"]["field"].as_str(), field, "{path}");
    }
}

async fn results_export_guards_cells_and_applies_filters(t: TestApp) {
    t.seed_bench("guard", &["=SUM(A1)", "plain", "other"]).await;
    let (s, b) = t
        .put("/api/benches/guard/cases", json!({"cases": [{"id": "plain", "name": "@evil, \"quoted\"\nname"}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let run = t.trigger("guard", "production").await;
    push(
        &t,
        run,
        vec![
            json!({"case_id": "=SUM(A1)", "status": "ok", "headline_score": 1.0, "output": "+cmd|' /C calc'!A0"}),
            json!({"case_id": "plain", "status": "workflow_failed", "error": "-2+3"}),
            json!({"case_id": "other", "status": "ok", "headline_score": 0.2, "output": "refund issued"}),
        ],
    )
    .await;
    let (_, _, body) = t.get_decoded(&format!("/api/runs/{run}/results?format=csv"), "identity", None).await;
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    assert_eq!(rows[1][col("case_id")], "'=SUM(A1)", "a formula never starts a cell");
    assert_eq!(rows[1][col("output_preview")], "'+cmd|' /C calc'!A0");
    assert_eq!(rows[3][col("case_name")], "'@evil, \"quoted\"\nname", "quoted, quotes doubled, the break kept");
    assert_eq!(rows[3][col("error")], "'-2+3");
    assert_eq!(rows[3][col("status")], "workflow_failed");
    // The list's filters, search and order apply; paging parameters do not.
    let (_, _, body) = t.get_decoded(&format!("/api/runs/{run}/results?format=csv&status=ok&sort=-score&limit=1"), "gzip", None).await;
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[col("case_id")].as_str()).collect();
    assert_eq!(ids, ["'=SUM(A1)", "other"]);
    let (_, _, body) = t.get_decoded(&format!("/api/runs/{run}/results?format=jsonl&q=refund"), "gzip", None).await;
    let rows: Vec<Value> = String::from_utf8(body).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["case_id"], "other");
    assert_eq!(rows[0]["snippet"]["parts"][0], json!({"text": "refund", "hit": true}), "the JSON rows' shape, snippet included");
}

async fn nway_matrix_exports_as_csv(t: TestApp) {
    t.seed_bench("nw", &["c1", "c2"]).await;
    let (s, b) = t.put("/api/benches/nw/cases", json!({"cases": [{"id": "c2", "name": "=HYPERLINK(\"x\")"}]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut runs = Vec::new();
    for (i, scores) in [[0.5, 0.9], [0.7, 0.9], [0.1, 0.3]].iter().enumerate() {
        let run = t.trigger("nw", "production").await;
        let results = vec![
            json!({"case_id": "c1", "status": "ok", "headline_score": scores[0], "cost_usd": 0.01 * i as f64}),
            json!({"case_id": "c2", "status": "ok", "headline_score": scores[1]}),
        ];
        push(&t, run, results).await;
        let (s, b) = t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        runs.push(run);
    }
    let list = runs.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",");
    let (s, json) = t.get(&format!("/api/compare?runs={list}")).await;
    assert_eq!(s, StatusCode::OK, "{json}");
    let (s, h, body) = t.get_decoded(&format!("/api/compare?runs={list}&format=csv"), "gzip", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(h[header::CONTENT_DISPOSITION], format!("attachment; filename=\"compare-{}.csv\"", list.replace(',', "-")));
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    let (a, b, c) = (runs[0], runs[1], runs[2]);
    assert_eq!(
        rows[0],
        [
            "case_id".to_string(), "case_label".into(),
            format!("run {a} score"), format!("run {a} status"), format!("run {a} verdict"), format!("run {a} cost"),
            format!("run {b} score"), format!("run {b} status"), format!("run {b} verdict"), format!("run {b} cost"),
            format!("run {b} delta"), format!("run {b} flag"),
            format!("run {c} score"), format!("run {c} status"), format!("run {c} verdict"), format!("run {c} cost"),
            format!("run {c} delta"), format!("run {c} flag"),
        ]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][0], "c1");
    assert_eq!(rows[1][2], "0.5");
    assert_eq!(rows[1][6], "0.7");
    let delta: f64 = rows[1][10].parse().unwrap();
    assert!((delta - 0.2).abs() < 1e-9);
    assert_eq!(rows[1][11], json["rows"][0]["cells"][1]["flag"].as_str().unwrap(), "the flags of the JSON report");
    assert_eq!(rows[1][17], "regressed");
    assert_eq!(rows[2][1], "'=HYPERLINK(\"x\")", "labels formula-guarded");
    let (s, e) = t.get(&format!("/api/compare?runs={list}&format=pdf")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "format");

    // Behind the gate: refused without credentials, served with a read token.
    let gated = TestApp::with_auth(t.kind(), AuthMode::Required).await.unwrap();
    gated.seed_bench("gated", &["g1"]).await;
    let mut two = Vec::new();
    for _ in 0..2 {
        let run = gated.trigger("gated", "production").await;
        push(&gated, run, vec![json!({"case_id": "g1", "status": "ok", "headline_score": 0.5})]).await;
        two.push(run);
    }
    let (r, r2) = (two[0], two[1]);
    for path in [format!("/api/runs/{r}/results?format=csv"), format!("/api/runs/{r}/results?format=jsonl"),
                 format!("/api/compare?runs={r},{r2}&format=csv")] {
        let (s, _, body) = gated.get_decoded(&path, "gzip", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("g1"), "{path}: nothing of the run leaks");
        let (s, _, body) = gated.get_decoded(&path, "gzip", Some(&gated.read.clone())).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(String::from_utf8_lossy(&body).contains("g1"), "{path}");
    }
}
