//! A result's trace a page at a time, and its whole texts for "show all".

use super::rows::{CallRow, StepRow, CALL_COLS, STEP_SELECT};
use super::{clip, Store, StoreError, StoreResult, TRACE_TEXT_CAP};
use crate::args;
use crate::model::views::{ToolCallView, TracePage, TraceStepView};
use crate::server::sql::{any_of, Keys, Val};

fn clip_opt(s: Option<String>, cap: usize) -> (Option<String>, bool) {
    match s {
        Some(s) => {
            let (c, cut) = clip(&s, cap);
            (Some(c), cut)
        }
        None => (None, false),
    }
}

impl Store {
    /// Steps `[offset, offset + limit)` of a result's trace, each with its tool calls, texts
    /// clipped. Tool calls that name no step of the trace come with the last page.
    pub async fn trace_page(&self, result_id: i64, offset: i64, limit: i64) -> StoreResult<TracePage> {
        let (total_steps,) =
            self.db.one::<(i64,)>("SELECT COUNT(*) FROM trace_steps WHERE result_id = $1", args![result_id]).await?;
        let (total_calls,) =
            self.db.one::<(i64,)>("SELECT COUNT(*) FROM tool_calls WHERE result_id = $1", args![result_id]).await?;
        let steps = self
            .db
            .all::<StepRow>(
                &format!("{STEP_SELECT} WHERE result_id = $1 AND position >= $2 ORDER BY position LIMIT $3"),
                args![result_id, offset, limit],
            )
            .await?;
        let indexes: Vec<i64> = steps.iter().map(|s| s.step_index).collect();
        let calls = if indexes.is_empty() {
            vec![]
        } else {
            let (pred, keys) = any_of(self.db.backend(), "c.step_index", 2, Keys::Int(&indexes));
            self.db
                .all::<CallRow>(
                    &format!(
                        "SELECT {CALL_COLS} FROM tool_calls c WHERE c.result_id = $1 AND {pred} ORDER BY c.position"
                    ),
                    vec![Val::from(result_id), keys],
                )
                .await?
        };
        let last_page = offset + limit >= total_steps;
        // The step indexes are read once (an uncorrelated subquery), not once per call: a
        // 2,000-step trace's last page answers in milliseconds.
        let orphans = if last_page {
            self.db
                .all::<CallRow>(
                    &format!(
                        "SELECT {CALL_COLS} FROM tool_calls c WHERE c.result_id = $1 AND (c.step_index IS NULL OR \
                         c.step_index NOT IN (SELECT s.step_index FROM trace_steps s WHERE s.result_id = $1)) \
                         ORDER BY c.position LIMIT 500"
                    ),
                    args![result_id],
                )
                .await?
        } else {
            vec![]
        };
        let view_call = |c: CallRow| {
            let (arguments, a_cut) = clip_opt(c.arguments, TRACE_TEXT_CAP);
            let (result, r_cut) = clip_opt(c.result, TRACE_TEXT_CAP);
            let (error, e_cut) = clip_opt(c.error, TRACE_TEXT_CAP);
            ToolCallView {
                position: c.position,
                step_index: c.step_index,
                tool_name: c.tool_name,
                arguments,
                arguments_cut: a_cut,
                result,
                result_cut: r_cut,
                error,
                error_cut: e_cut,
                duration_ms: c.duration_ms,
            }
        };
        let mut by_step: std::collections::HashMap<i64, Vec<ToolCallView>> = Default::default();
        for c in calls {
            let idx = c.step_index.unwrap_or(i64::MIN);
            by_step.entry(idx).or_default().push(view_call(c));
        }
        let steps = steps
            .into_iter()
            .map(|s| {
                let (output, cut) = clip_opt(s.output, TRACE_TEXT_CAP);
                TraceStepView {
                    position: s.position,
                    index: s.step_index,
                    step_type: s.step_type,
                    name: s.name,
                    output,
                    output_cut: cut,
                    tokens_used: s.tokens_used,
                    duration_ms: s.duration_ms,
                    tool_calls: by_step.remove(&s.step_index).unwrap_or_default(),
                }
            })
            .collect();
        Ok(TracePage {
            offset,
            limit,
            total_steps,
            total_tool_calls: total_calls,
            steps,
            unattached_calls: orphans.into_iter().map(view_call).collect(),
        })
    }

    /// One whole text of a result, for "show all": `what` is `output`, `error`, `reason:N`
    /// (scorer position), `step:N` (step position), `args:N`, `result:N`, `call_error:N` (tool
    /// call position), `inputs` or `expected`.
    pub async fn result_text(&self, run_id: i64, case_id: &str, epoch: i64, what: &str) -> StoreResult<String> {
        let (rid, bench_id) = self
            .db
            .opt::<(i64, i64)>(
                "SELECT r.id, u.bench_id FROM results r JOIN runs u ON u.id = r.run_id \
                 WHERE r.run_id = $1 AND r.case_id = $2 AND r.epoch = $3",
                args![run_id, case_id, epoch],
            )
            .await?
            .ok_or_else(|| {
                StoreError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}"))
            })?;
        let (kind, n) = match what.split_once(':') {
            Some((k, n)) => {
                (k, n.parse::<i64>().map_err(|_| StoreError::invalid("what", "position must be a number"))?)
            }
            None => (what, 0),
        };
        let text: Option<String> = match kind {
            "output" => self
                .db
                .opt::<(Option<String>,)>("SELECT workflow_output FROM result_outputs WHERE result_id = $1", args![rid])
                .await?
                .and_then(|r| r.0)
                .map(|t| pretty(&t)),
            "error" => self.db.one::<(Option<String>,)>("SELECT error FROM results WHERE id = $1", args![rid]).await?.0,
            "reason" => self
                .db
                .opt::<(Option<String>,)>(
                    "SELECT reason FROM scorer_results WHERE result_id = $1 AND position = $2",
                    args![rid, n],
                )
                .await?
                .and_then(|r| r.0),
            "step" => self
                .db
                .opt::<(Option<String>,)>(
                    "SELECT output FROM trace_steps WHERE result_id = $1 AND position = $2",
                    args![rid, n],
                )
                .await?
                .and_then(|r| r.0),
            "args" | "result" | "call_error" => {
                let col = match kind {
                    "args" => "arguments",
                    "result" => "result",
                    _ => "error",
                };
                self.db
                    .opt::<(Option<String>,)>(
                        &format!("SELECT {col} FROM tool_calls WHERE result_id = $1 AND position = $2"),
                        args![rid, n],
                    )
                    .await?
                    .and_then(|r| r.0)
            }
            "inputs" | "expected" => {
                let col = if kind == "inputs" { "inputs" } else { "expected_output" };
                self.db
                    .opt::<(Option<String>,)>(
                        &format!("SELECT {col} FROM cases WHERE bench_id = $1 AND case_id = $2"),
                        args![bench_id, case_id],
                    )
                    .await?
                    .and_then(|r| r.0)
                    .map(|t| pretty(&t))
            }
            _ => return Err(StoreError::invalid("what", format!("unknown text '{what}'"))),
        };
        text.ok_or_else(|| StoreError::not_found(format!("no text '{what}'")))
    }
}

/// JSON text shown pretty (a JSON string shown as its text).
fn pretty(t: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(t) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| t.to_string()),
        Err(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_unwraps_strings_and_indents_objects() {
        assert_eq!(pretty("\"a <b>\""), "a <b>");
        assert_eq!(pretty("{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json"), "not json");
    }
}
