//! The page of a script version: what the store reads for it, and the server-rendered HTML
//! (status, line anchors, escaping, diffs), on SQLite and on PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

on_both_backends!(version_page_reads_versions_channels_and_runs, version_page_renders_source_diff_and_404,);

async fn html(t: &TestApp, path: &str) -> (StatusCode, String) {
    let res = t.app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Judge `jd` with three versions; production moves v1 → v2 → v1 → v2; runs on each.
async fn seed(t: &TestApp) -> (Vec<i64>, Vec<i64>) {
    t.seed_bench("bench-a", &["c1"]).await; // jd v1 on production
    let (s, v) = t
        .post(
            "/api/scripts/judge/jd/versions",
            json!({"source": "def judge(): pass\n# second\nreturn 1\n", "label": "stricter", "published_by": "ana",
                   "language": "python", "channels": ["canary"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = t.post("/api/scripts/judge/jd/versions", json!({"source": "v3 <script>window.__pwned=1</script>"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut on_v1 = vec![t.trigger("bench-a", "production").await];
    let mut on_v2 = Vec::new();
    for (version, by) in [(2, "ana"), (1, "lee"), (2, "ana")] {
        let (s, c) = t.put("/api/scripts/judge/jd/channels/production", json!({"version": version, "published_by": by})).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let id = t.trigger("bench-a", "production").await;
        if version == 2 { on_v2.push(id) } else { on_v1.push(id) }
    }
    (on_v1, on_v2)
}

async fn version_page_reads_versions_channels_and_runs(t: TestApp) {
    let (on_v1, on_v2) = seed(&t).await;
    let p = t.store.version_page("judge", "jd", 2).await.unwrap().expect("jd v2 exists");
    assert_eq!(p.version.number, 2);
    assert_eq!(p.version.label.as_deref(), Some("stricter"));
    assert!(p.version.source.as_deref().unwrap().contains("# second"));
    assert_eq!(p.version.channels, ["canary", "production"]);
    assert_eq!(p.versions.iter().map(|v| v.number).collect::<Vec<_>>(), [3, 2, 1], "newest first");
    assert_eq!(p.versions[1].channels, ["canary", "production"]);
    assert!(p.versions[0].channels.is_empty());

    let names: Vec<(&str, i64)> = p.channels.iter().map(|c| (c.name.as_str(), c.version_number)).collect();
    assert_eq!(names, [("canary", 2), ("production", 2)]);
    let prod = &p.channels[1];
    assert_eq!(
        prod.history.iter().map(|m| (m.version_number, m.published_by.as_deref())).collect::<Vec<_>>(),
        [(2, Some("ana")), (1, Some("lee")), (2, Some("ana")), (1, None)],
        "newest move first"
    );

    let mut want = on_v2.clone();
    want.reverse();
    assert_eq!(p.runs.iter().map(|r| r.id).collect::<Vec<_>>(), want, "runs judged by v2, newest first");
    assert_eq!(p.runs_total, 2);
    assert_eq!(p.runs[0].judge_version_number, 2);
    assert_eq!(p.runs[0].workflow_script_name, "wf");

    let v1 = t.store.version_page("judge", "jd", 1).await.unwrap().unwrap();
    assert_eq!(v1.runs_total, on_v1.len() as i64);
    assert!(v1.version.channels.is_empty());
    let wf = t.store.version_page("workflow", "wf", 1).await.unwrap().unwrap();
    assert_eq!(wf.runs_total, 4, "every run used workflow v1");

    for (kind, name, n) in [("judge", "jd", 4), ("judge", "nope", 1), ("workflow", "jd", 1), ("bogus", "jd", 1), ("judge", "jd", 0)] {
        assert!(t.store.version_page(kind, name, n).await.unwrap().is_none(), "{kind}/{name}/{n}");
    }
}

async fn version_page_renders_source_diff_and_404(t: TestApp) {
    seed(&t).await;
    let (s, page) = html(&t, "/scripts/judge/jd/v/2").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"<tr id="L2" class="line">"#), "{page}");
    assert!(page.contains(r##"<a href="#L2" rel="external">2"##), "line numbers link to their anchor");
    assert!(page.contains("# second"));
    assert!(page.contains(r#"data-testid="version-run""#));
    assert!(page.contains("/scripts/judge/jd/v/2?diff=1"), "diff links to the other versions");

    let (s, page) = html(&t, "/scripts/judge/jd/v/3").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("v3 &lt;script&gt;window.__pwned=1&lt;/script&gt;"));
    assert!(!page.contains("<script>window.__pwned"));

    let (s, page) = html(&t, "/scripts/judge/jd/v/2?diff=1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("@@ -1 +1,3 @@"), "{page}");
    // v1 has no final line break, so its only line differs from v2's first, as in `diff -u`.
    assert_eq!(page.matches(r#"data-kind="added""#).count(), 3);
    assert_eq!(page.matches(r#"data-kind="removed""#).count(), 1);
    assert!(page.contains("No newline at end of file"));
    assert!(page.contains(r#"<a href="/scripts/judge/jd/v/2#L3">3"#), "new-side numbers link to this version's lines");

    let (s, page) = html(&t, "/scripts/judge/jd/v/2?diff=9").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("There is no v9 of this script"));

    for path in ["/scripts/judge/jd/v/4", "/scripts/judge/nope/v/1", "/scripts/bogus/jd/v/1", "/scripts/judge/jd/v/x"] {
        let (s, page) = html(&t, path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("Script version not found"), "{path}");
    }
}
