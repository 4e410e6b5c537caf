//! `assay demo` fills a database with a workspace worth looking at, on both backends.

mod common;

use common::TestApp;

on_both_backends!(demo_workspace_has_everything_the_pages_need);

async fn demo_workspace_has_everything_the_pages_need(t: TestApp) {
    assert!(!assay::server::demo::has_data(&t.store).await.unwrap());
    let runs = assay::server::demo::seed_if_empty(&t.store, 42).await.unwrap().expect("an empty database is seeded");
    assert!(runs >= 30, "{runs} runs");
    assert!(assay::server::demo::has_data(&t.store).await.unwrap());
    let one = |sql: &'static str| {
        let db = t.db.clone();
        async move { db.one::<(i64,)>(sql, vec![]).await.unwrap().0 }
    };
    assert_eq!(one("SELECT COUNT(*) FROM benches").await, 3);
    assert!(one("SELECT MIN(n) FROM (SELECT COUNT(*) AS n FROM cases GROUP BY bench_id) x").await >= 20);
    assert!(one("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM cases GROUP BY bench_id) x").await <= 200);
    assert!(one("SELECT COUNT(*) FROM case_tags").await > 50);
    assert_eq!(one("SELECT COUNT(DISTINCT status) FROM results").await, 5, "every result status");
    assert!(one("SELECT COUNT(*) FROM runs WHERE mode = 'sampled'").await >= 3);
    assert_eq!(one("SELECT COUNT(*) FROM runs WHERE status = 'running'").await, 1);
    assert!(one("SELECT COUNT(*) FROM runs WHERE status = 'failed'").await >= 1);
    assert_eq!(one("SELECT COUNT(DISTINCT channel) FROM runs").await, 3);
    assert!(one("SELECT COUNT(*) FROM script_versions v JOIN scripts s ON s.id = v.script_id WHERE s.kind = 'workflow'").await >= 9);
    assert!(one("SELECT COUNT(*) FROM script_versions v JOIN scripts s ON s.id = v.script_id WHERE s.kind = 'judge'").await >= 6);
    assert!(one("SELECT COUNT(*) FROM channel_history").await > 12, "channels moved over time");
    assert!(one("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM trace_steps GROUP BY result_id) x").await >= 2000);
    assert!(one("SELECT COUNT(*) FROM tool_calls WHERE error IS NOT NULL").await > 0);
    assert!(one("SELECT COUNT(DISTINCT dimension) FROM result_dimensions").await >= 6);
    assert!(one("SELECT COUNT(*) FROM scorer_results WHERE reason IS NOT NULL").await > 1000);
    // Six weeks of history, oldest first.
    let span_days = one("SELECT (MAX(triggered_at) - MIN(triggered_at)) / 86400000 FROM runs").await;
    assert!(span_days >= 28, "{span_days} days");
    // Metadata a filter can find.
    let page = t
        .store
        .list_runs(&assay::server::store::read::RunsQuery { meta: vec![("branch".into(), "main".into())], ..Default::default() })
        .await
        .unwrap();
    assert!(!page.runs.is_empty());
    assert!(page.runs.iter().all(|r| r.metadata["branch"] == "main" && r.metadata["git_sha"].is_string()));
    // A real regression: on each bench the canary run of workflow v3 scores well below the one before it.
    let canary = t
        .store
        .list_runs(&assay::server::store::read::RunsQuery { bench: Some("support-refunds".into()), channel: Some("canary".into()), ..Default::default() })
        .await
        .unwrap()
        .runs;
    let v2 = canary.iter().find(|r| r.workflow_version_number == 2).unwrap();
    let v3 = canary.iter().find(|r| r.workflow_version_number == 3).unwrap();
    assert!(v2.mean_headline_score.unwrap() - v3.mean_headline_score.unwrap() > 0.1, "{:?} vs {:?}", v2.mean_headline_score, v3.mean_headline_score);
    // Running it again leaves a non-empty database alone: nothing is added.
    let before = t.table_counts().await;
    assert_eq!(assay::server::demo::seed_if_empty(&t.store, 7).await.unwrap(), None);
    assert_eq!(t.table_counts().await, before);
}
