//! Reads that only the pages make: a run's score histogram, one case with its result and a
//! page of its trace, the case's score across runs, a bench's trend, cases and channels. Each is
//! index-backed; none scans a run's results except the histogram (one index range, cached by the
//! page once the run is finished).

use super::results::{CallRow, StepRow};
use super::Store;
use crate::args;
use crate::model::views::{CaseHistoryPoint, CaseListPage, CaseRow, TracePage, TraceStepView, TrendPoint};
use crate::model::{Bench, Case, Channel};
use crate::server::db::{any_of, Backend, Keys, Val};
use crate::server::error::{ApiError, ApiResult};
use crate::server::store::text_json;
use crate::server::time::fmt_ms;

/// Long texts in a page are cut here; "show all" fetches the rest.
pub const TEXT_CAP: usize = 2_000;
/// Trace texts are cut shorter: a page holds about a hundred steps.
pub const TRACE_TEXT_CAP: usize = 400;

/// `s` cut to `cap` characters (on a char boundary), and whether it was cut.
pub fn clip(s: &str, cap: usize) -> (String, bool) {
    match s.char_indices().nth(cap) {
        Some((i, _)) => (s[..i].to_string(), true),
        None => (s.to_string(), false),
    }
}

#[derive(sqlx::FromRow)]
struct CaseDbRow {
    case_id: String,
    name: Option<String>,
    inputs: Option<String>,
    expected_output: Option<String>,
    ground_truth: Option<String>,
    tags: String,
    input_hash: String,
    frozen: bool,
    created_at: i64,
}

impl CaseDbRow {
    fn into_model(self) -> Case {
        Case {
            id: self.case_id,
            name: self.name,
            inputs: text_json(self.inputs),
            expected_output: text_json(self.expected_output),
            ground_truth: text_json(self.ground_truth),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            input_hash: self.input_hash,
            frozen: self.frozen,
            created_at: fmt_ms(self.created_at),
        }
    }
}

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
    /// Counts of a run's scores in `buckets` equal bins from 0 to the run's score max (scores
    /// outside fall in the end bins). One index range (`results_by_score`), grouped in SQL.
    pub async fn score_histogram(&self, run_id: i64, score_max: f64, buckets: i64) -> ApiResult<Vec<u64>> {
        let bin = match self.db.backend() {
            Backend::Sqlite => "CAST(headline_score * $2 / $3 AS INTEGER)",
            Backend::Postgres => "CAST(FLOOR(headline_score * $2 / $3) AS BIGINT)",
        };
        let rows = self
            .db
            .all::<(i64, i64)>(
                &format!(
                    "SELECT {bin} AS b, COUNT(*) FROM results WHERE run_id = $1 AND headline_score IS NOT NULL GROUP BY b"
                ),
                args![run_id, buckets as f64, score_max],
            )
            .await?;
        let mut out = vec![0u64; buckets.max(1) as usize];
        for (b, n) in rows {
            let i = b.clamp(0, buckets - 1) as usize;
            out[i] += n as u64;
        }
        Ok(out)
    }

    /// The id of one result.
    pub async fn result_id(&self, run_id: i64, case_id: &str, epoch: i64) -> ApiResult<i64> {
        self.db
            .opt::<(i64,)>(
                "SELECT id FROM results WHERE run_id = $1 AND case_id = $2 AND epoch = $3",
                args![run_id, case_id, epoch],
            )
            .await?
            .map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}")))
    }

    /// The epochs a run has for a case, in order.
    pub async fn result_epochs(&self, run_id: i64, case_id: &str) -> ApiResult<Vec<i64>> {
        Ok(self
            .db
            .all::<(i64,)>(
                "SELECT epoch FROM results WHERE run_id = $1 AND case_id = $2 ORDER BY epoch",
                args![run_id, case_id],
            )
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }

    /// One case of a bench as stored now.
    pub async fn get_case(&self, bench_id: i64, case_id: &str) -> ApiResult<Option<Case>> {
        Ok(self
            .db
            .opt::<CaseDbRow>(
                "SELECT case_id, name, inputs, expected_output, ground_truth, tags, input_hash, frozen, created_at \
                 FROM cases WHERE bench_id = $1 AND case_id = $2",
                args![bench_id, case_id],
            )
            .await?
            .map(CaseDbRow::into_model))
    }

    /// Steps `[offset, offset + limit)` of a result's trace, each with its tool calls, texts
    /// clipped. Tool calls that name no step of the trace come with the last page.
    pub async fn trace_page(&self, result_id: i64, offset: i64, limit: i64) -> ApiResult<TracePage> {
        let (total_steps,) =
            self.db.one::<(i64,)>("SELECT COUNT(*) FROM trace_steps WHERE result_id = $1", args![result_id]).await?;
        let (total_calls,) =
            self.db.one::<(i64,)>("SELECT COUNT(*) FROM tool_calls WHERE result_id = $1", args![result_id]).await?;
        let steps = self
            .db
            .all::<StepRow>(
                "SELECT position, step_index, type, name, output, tokens_used, duration_ms FROM trace_steps \
                 WHERE result_id = $1 AND position >= $2 ORDER BY position LIMIT $3",
                args![result_id, offset, limit],
            )
            .await?;
        let indexes: Vec<i64> = steps.iter().map(|s| s.step_index).collect();
        let calls = if indexes.is_empty() {
            vec![]
        } else {
            let (pred, keys) = any_of(self.db.backend(), "step_index", 2, Keys::Int(&indexes));
            self.db
                .all::<CallRow>(
                    &format!(
                        "SELECT position, step_index, tool_name, arguments, result, error, duration_ms FROM tool_calls \
                         WHERE result_id = $1 AND {pred} ORDER BY position"
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
                    "SELECT c.position, c.step_index, c.tool_name, c.arguments, c.result, c.error, c.duration_ms \
                     FROM tool_calls c WHERE c.result_id = $1 AND (c.step_index IS NULL OR c.step_index NOT IN \
                     (SELECT s.step_index FROM trace_steps s WHERE s.result_id = $1)) \
                     ORDER BY c.position LIMIT 500",
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
            crate::model::views::ToolCallView {
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
        let mut by_step: std::collections::HashMap<i64, Vec<crate::model::views::ToolCallView>> = Default::default();
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
    pub async fn result_text(&self, run_id: i64, case_id: &str, epoch: i64, what: &str) -> ApiResult<String> {
        let (rid, bench_id) = self
            .db
            .opt::<(i64, i64)>(
                "SELECT r.id, u.bench_id FROM results r JOIN runs u ON u.id = r.run_id \
                 WHERE r.run_id = $1 AND r.case_id = $2 AND r.epoch = $3",
                args![run_id, case_id, epoch],
            )
            .await?
            .ok_or_else(|| ApiError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}")))?;
        let (kind, n) = match what.split_once(':') {
            Some((k, n)) => (k, n.parse::<i64>().map_err(|_| ApiError::invalid("what", "position must be a number"))?),
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
                .opt::<(Option<String>,)>("SELECT output FROM trace_steps WHERE result_id = $1 AND position = $2", args![rid, n])
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
            _ => return Err(ApiError::invalid("what", format!("unknown text '{what}'"))),
        };
        text.ok_or_else(|| ApiError::not_found(format!("no text '{what}'")))
    }

    /// This case's score in the bench's runs, newest first (epochs averaged): through the
    /// `results_by_case` index.
    pub async fn case_history(&self, bench_id: i64, case_id: &str, limit: i64) -> ApiResult<Vec<CaseHistoryPoint>> {
        #[derive(sqlx::FromRow)]
        struct H {
            run_id: i64,
            channel: String,
            triggered_at: i64,
            run_status: String,
            score: Option<f64>,
            epochs: i64,
            status: Option<String>,
            verdict: Option<String>,
        }
        let rows = self
            .db
            .all::<H>(
                "SELECT r.run_id, u.channel, u.triggered_at, u.status AS run_status, AVG(r.headline_score) AS score, \
                 COUNT(*) AS epochs, MIN(CASE WHEN r.epoch = 1 THEN r.status END) AS status, \
                 MIN(CASE WHEN r.epoch = 1 THEN r.verdict END) AS verdict \
                 FROM results r JOIN runs u ON u.id = r.run_id WHERE r.case_id = $1 AND u.bench_id = $2 \
                 GROUP BY r.run_id, u.channel, u.triggered_at, u.status ORDER BY u.triggered_at DESC, r.run_id DESC LIMIT $3",
                args![case_id, bench_id, limit],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|h| CaseHistoryPoint {
                run_id: h.run_id,
                channel: h.channel,
                triggered_at: fmt_ms(h.triggered_at),
                run_status: h.run_status,
                score: h.score,
                epochs: h.epochs,
                status: h.status,
                verdict: h.verdict,
            })
            .collect())
    }

    /// Completed runs of a bench, oldest first (the last `limit`), for trend charts.
    pub async fn bench_trend(&self, bench_id: i64, limit: i64) -> ApiResult<Vec<TrendPoint>> {
        #[derive(sqlx::FromRow)]
        struct T {
            id: i64,
            channel: String,
            triggered_at: i64,
            mode: String,
            workflow_version_number: i64,
            judge_version_number: i64,
            scored_count: i64,
            score_sum: f64,
            passed: i64,
            failed: i64,
            inconclusive: i64,
        }
        let mut rows = self
            .db
            .all::<T>(
                "SELECT id, channel, triggered_at, mode, workflow_version_number, judge_version_number, scored_count, \
                 score_sum, passed, failed, inconclusive FROM runs WHERE bench_id = $1 AND status = 'completed' \
                 ORDER BY triggered_at DESC, id DESC LIMIT $2",
                args![bench_id, limit],
            )
            .await?;
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|t| {
                let judged = t.passed + t.failed + t.inconclusive;
                TrendPoint {
                    run_id: t.id,
                    channel: t.channel,
                    triggered_at_ms: t.triggered_at,
                    sampled: t.mode != "full",
                    workflow_version: t.workflow_version_number,
                    judge_version: t.judge_version_number,
                    mean_score: (t.scored_count > 0).then(|| t.score_sum / t.scored_count as f64),
                    pass_rate: (judged > 0).then(|| t.passed as f64 / judged as f64),
                }
            })
            .collect())
    }

    /// A page of a bench's cases in id order, optionally those with `tag`.
    pub async fn list_cases(&self, bench_id: i64, tag: Option<&str>, after: Option<&str>, limit: i64) -> ApiResult<CaseListPage> {
        #[derive(sqlx::FromRow)]
        struct C {
            case_id: String,
            name: Option<String>,
            tags: String,
            frozen: bool,
        }
        let mut args = args![bench_id, after.unwrap_or(""), limit + 1];
        let tag_pred = match tag {
            Some(t) => {
                args.push(Val::from(t));
                "AND c.case_id IN (SELECT t.case_id FROM case_tags t WHERE t.bench_id = $1 AND t.tag = $4)"
            }
            None => "",
        };
        let mut rows = self
            .db
            .all::<C>(
                &format!(
                    "SELECT c.case_id, c.name, c.tags, c.frozen FROM cases c WHERE c.bench_id = $1 AND c.case_id > $2 \
                     {tag_pred} ORDER BY c.case_id LIMIT $3"
                ),
                args,
            )
            .await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|c| c.case_id.clone())
        } else {
            None
        };
        let tags = self
            .db
            .all::<(String, i64)>(
                "SELECT tag, COUNT(*) FROM case_tags WHERE bench_id = $1 GROUP BY tag ORDER BY tag",
                args![bench_id],
            )
            .await?;
        Ok(CaseListPage {
            cases: rows
                .into_iter()
                .map(|c| CaseRow {
                    id: c.case_id,
                    name: c.name,
                    tags: serde_json::from_str(&c.tags).unwrap_or_default(),
                    frozen: c.frozen,
                })
                .collect(),
            next_after: next,
            tags,
        })
    }

    /// Every channel of a script, with its publish history.
    pub async fn script_channels(&self, kind: &str, name: &str) -> ApiResult<Vec<Channel>> {
        let names = self
            .db
            .all::<(String,)>(
                "SELECT c.name FROM channels c JOIN scripts s ON s.id = c.script_id \
                 WHERE s.kind = $1 AND s.name = $2 ORDER BY c.name",
                args![kind, name],
            )
            .await?;
        let mut out = Vec::with_capacity(names.len());
        for (channel,) in names {
            out.push(self.get_channel(kind, name, &channel).await?);
        }
        Ok(out)
    }

    /// A bench by name, or None.
    pub async fn find_bench(&self, name: &str) -> ApiResult<Option<Bench>> {
        match self.get_bench(name).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
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
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("héllo", 2), ("hé".to_string(), true));
        assert_eq!(clip("héllo", 5), ("héllo".to_string(), false));
        assert_eq!(clip("", 3), (String::new(), false));
    }

    #[test]
    fn pretty_unwraps_strings_and_indents_objects() {
        assert_eq!(pretty("\"a <b>\""), "a <b>");
        assert_eq!(pretty("{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json"), "not json");
    }
}
