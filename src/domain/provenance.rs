//! Where a run came from, as its page says it: the file, format, column and id of an imported
//! run, and whether its verdicts are the source's own pass/fail.

use crate::model::Run;

/// The run page's provenance line, or None for a run pushed by a harness.
pub fn origin(run: &Run) -> Option<String> {
    let m = &run.metadata;
    let text = |k: &str| m.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
    let imported = text("source_format").map(|format| {
        let mut parts = vec![format];
        if let Some(c) = text("source_column") {
            parts.push(format!("column {c}"));
        }
        if let Some(id) = text("source_id") {
            // File hashes are long; 24 characters tell them apart on a page.
            let short: String = id.chars().take(24).collect();
            parts.push(if short.len() < id.len() { format!("id {short}…") } else { format!("id {id}") });
        }
        format!("Imported from {} ({})", text("source_file").unwrap_or_else(|| "a file".into()), parts.join(", "))
    });
    let verdicts = run.verdicts_from_source.then_some("Verdicts from the source, not the pass threshold");
    match (imported, verdicts) {
        (Some(i), Some(v)) => Some(format!("{i} · {v}")),
        (Some(i), None) => Some(i),
        (None, Some(v)) => Some(v.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(meta: serde_json::Value, from_source: bool) -> Run {
        let mut r: Run = serde_json::from_value(serde_json::json!({
            "id": 1, "bench_id": 1, "bench_name": "b", "channel": "c", "workflow_script_name": "w", "workflow_version_id": 1,
            "workflow_version_number": 1, "judge_script_name": "j", "judge_version_id": 2, "judge_version_number": 1,
            "status": "completed", "mode": "full", "sample_size": null, "case_filter": null, "triggered_by": null,
            "triggered_at": "2026-11-22T10:00:00.000Z", "completed_at": null, "notes": null, "mcp_session_id": null, "model": null,
            "system_prompt": null, "temperature": null, "error": null, "metadata": meta, "idempotency_key": null,
            "pass_threshold": 0.5, "score_max": 1.0, "total_cases": 0, "results_count": 0, "ok_cases": 0,
            "mean_headline_score": null, "status_breakdown": {}, "passed": 0, "failed": 0, "inconclusive": 0, "missing": 0,
            "pass_rate": null, "cache_hit_cases": 0, "total_cost_usd": 0.0, "avg_latency_ms": null, "total_tokens": 0,
            "dimension_scores": {}, "last_result_at": null
        }))
        .unwrap();
        r.verdicts_from_source = from_source;
        r
    }

    #[test]
    fn imported_runs_say_where_they_came_from() {
        let meta = serde_json::json!({"source_format": "promptfoo", "source_file": "out.json", "source_id": "eval-abc", "source_column": 2});
        assert_eq!(
            origin(&run(meta, true)).as_deref(),
            Some("Imported from out.json (promptfoo, column 2, id eval-abc) · Verdicts from the source, not the pass threshold")
        );
        let meta = serde_json::json!({"source_format": "inspect", "source_file": "a.eval", "source_id": "x".repeat(64)});
        assert_eq!(origin(&run(meta, false)).as_deref(), Some(format!("Imported from a.eval (inspect, id {}…)", "x".repeat(24)).as_str()));
        assert_eq!(origin(&run(serde_json::json!({"git": "abc"}), false)), None);
        assert_eq!(origin(&run(serde_json::json!({}), true)).as_deref(), Some("Verdicts from the source, not the pass threshold"));
    }
}
