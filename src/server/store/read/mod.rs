//! The keyset-paginated lists: runs and one run's results. They read stored aggregates and
//! indexed columns only: never traces, never output bodies.

mod paging;
mod search;

use std::collections::HashMap;

use serde_json::Value;

use paging::{decode_cursor, encode_cursor, in_list, like_pattern, limit, non_empty, Sql};
use super::rows::{RunRow, SummaryRow, RUN_SELECT, SUMMARY_COLS};
use super::{Store, StoreError, StoreResult};
use crate::args;
use crate::domain::search::SearchQuery;
use crate::domain::{ResultStatus, RunStatus};
use crate::model::{ResultPage, ResultSummary, Run, RunPage};
use crate::server::sql::{any_of, Backend, Keys};

pub use paging::{DEFAULT_LIMIT, MAX_LIMIT};
pub use crate::model::query::{ResultsQuery, RunsQuery};

/// How a results page is ordered: the key expression (matching an index), its direction, and
/// how a cursor value binds.
struct Order {
    key: &'static str,
    desc: bool,
    numeric: bool,
}

fn order(sort: Option<&str>) -> StoreResult<Option<Order>> {
    let (name, desc) = match sort {
        None | Some("") | Some("case") => return Ok(None),
        Some(s) => match s.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (s, false),
        },
    };
    let key = match name {
        "score" => "COALESCE(r.headline_score, -1.0)",
        "latency" => "COALESCE(r.duration_ms, -1)",
        "cost" => "r.cost_usd",
        "created" => "r.id",
        _ => {
            return Err(StoreError::invalid(
                "sort",
                "use case, score, -score, latency, -latency, cost, -cost, created or -created",
            ))
        }
    };
    Ok(Some(Order { key, desc, numeric: name != "latency" && name != "created" }))
}

impl Store {
    async fn runs_with_dims(&self, rows: Vec<RunRow>) -> StoreResult<Vec<Run>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let (pred, keys) = any_of(self.backend(), "run_id", 1, Keys::Int(&ids));
        let mut dims: HashMap<i64, Vec<(String, f64, i64)>> = HashMap::new();
        for (run_id, d, s, n) in self
            .db
            .all::<(i64, String, f64, i64)>(
                &format!("SELECT run_id, dimension, score_sum, n FROM run_dimensions WHERE {pred} ORDER BY dimension"),
                vec![keys],
            )
            .await?
        {
            dims.entry(run_id).or_default().push((d, s, n));
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let d = dims.remove(&r.id).unwrap_or_default();
                r.into_model(d)
            })
            .collect())
    }

    /// Runs, newest first, keyset-paginated on `(triggered_at, id)`.
    pub async fn list_runs(&self, q: &RunsQuery) -> StoreResult<RunPage> {
        let limit = limit(q.limit)?;
        let mut sql = Sql { args: Vec::new(), backend: self.backend() };
        let mut wh: Vec<String> = Vec::new();
        if let Some(b) = non_empty(&q.bench) {
            let p = sql.arg(b);
            wh.push(format!("bench_id = (SELECT id FROM benches WHERE name = {p})"));
        }
        if let Some(c) = non_empty(&q.channel) {
            let p = sql.arg(c);
            wh.push(format!("channel = {p}"));
        }
        if let Some(s) = non_empty(&q.status) {
            wh.push(in_list(&mut sql, "status", "status", s, |v| RunStatus::parse(v).is_some())?);
        }
        if let Some(t) = non_empty(&q.triggered_by) {
            let p = sql.arg(t);
            wh.push(format!("triggered_by = {p}"));
        }
        for (key, value) in &q.meta {
            // Compare the stored JSON value's text with the value as a JSON string or as a bare
            // JSON literal, so `meta.pr=42` finds both "42" and 42.
            let quoted = sql.arg(Value::String(value.clone()).to_string());
            let raw = sql.arg(value.as_str());
            let expr = match self.backend() {
                Backend::Sqlite => {
                    let path = sql.arg(format!("$.{}", Value::String(key.clone())));
                    format!("(metadata -> {path})")
                }
                Backend::Postgres => {
                    let k = sql.arg(key.as_str());
                    format!("((metadata::jsonb -> {k})::text)")
                }
            };
            wh.push(format!("{expr} IN ({quoted}, {raw})"));
        }
        if let Some(text) = non_empty(&q.q) {
            let p = sql.arg(like_pattern(text));
            let like = sql.like();
            wh.push(format!(
                "(bench_name {like} {p} ESCAPE '\\' OR channel {like} {p} ESCAPE '\\' OR triggered_by {like} {p} ESCAPE '\\' \
                 OR notes {like} {p} ESCAPE '\\' OR model {like} {p} ESCAPE '\\' OR workflow_script_name {like} {p} ESCAPE '\\')"
            ));
        }
        if let Some(c) = &q.cursor {
            let parts = decode_cursor(c)?;
            let (Some(t), Some(id)) = (parts.first().and_then(Value::as_i64), parts.get(1).and_then(Value::as_i64))
            else {
                return Err(StoreError::invalid("cursor", "not a cursor this server handed out"));
            };
            let (pt, pi) = (sql.arg(t), sql.arg(id));
            wh.push(format!("(triggered_at, id) < ({pt}, {pi})"));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        let pl = sql.arg(limit + 1);
        let mut rows = self
            .db
            .all::<RunRow>(
                &format!("{RUN_SELECT} {where_sql} ORDER BY triggered_at DESC, id DESC LIMIT {pl}"),
                sql.args,
            )
            .await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&serde_json::json!([r.triggered_at, r.id])))
        } else {
            None
        };
        Ok(RunPage { runs: self.runs_with_dims(rows).await?, next_cursor })
    }

    /// A page of one run's results, filtered and ordered, keyset-paginated.
    pub async fn list_results(&self, run_id: i64, q: &ResultsQuery) -> StoreResult<ResultPage> {
        self.results_page(run_id, q, limit(q.limit)?).await
    }

    /// The next `limit` results of a run's export after `q.cursor` (any size: the export
    /// streams a whole run in such chunks).
    pub async fn results_chunk(&self, run_id: i64, q: &ResultsQuery, limit: i64) -> StoreResult<ResultPage> {
        self.results_page(run_id, q, limit.max(1)).await
    }

    async fn results_page(&self, run_id: i64, q: &ResultsQuery, limit: i64) -> StoreResult<ResultPage> {
        let text_search = match q.q.as_deref() {
            None => None,
            Some(text) => SearchQuery::parse(text).map_err(|e| StoreError::invalid("q", e.0))?,
        };
        let (bench_id,) = self
            .db
            .opt::<(i64,)>("SELECT bench_id FROM runs WHERE id = $1", args![run_id])
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no run {run_id}")))?;
        let order = order(q.sort.as_deref())?;
        let mut sql = Sql { args: Vec::new(), backend: self.backend() };
        let p_run = sql.arg(run_id);
        let mut wh = vec![format!("r.run_id = {p_run}")];
        if let Some(s) = non_empty(&q.status) {
            wh.push(in_list(&mut sql, "r.status", "status", s, |v| ResultStatus::parse(v).is_some())?);
        }
        if let Some(v) = non_empty(&q.verdict) {
            let mut parts = Vec::new();
            for one in v.split(',').map(str::trim) {
                match one {
                    "pass" | "fail" | "error" => {
                        let p = sql.arg(one);
                        parts.push(format!("r.verdict = {p}"));
                    }
                    "none" => parts.push("r.verdict IS NULL".to_string()),
                    _ => return Err(StoreError::invalid("verdict", "use pass, fail, error or none")),
                }
            }
            wh.push(format!("({})", parts.join(" OR ")));
        }
        if let Some(tag) = non_empty(&q.tag) {
            let (pb, pt) = (sql.arg(bench_id), sql.arg(tag));
            wh.push(format!(
                "EXISTS (SELECT 1 FROM case_tags t WHERE t.bench_id = {pb} AND t.tag = {pt} AND t.case_id = r.case_id)"
            ));
        }
        if let Some(s) = &text_search {
            let mode = self.search_mode(run_id).await?;
            let found = self.search_candidates(s, run_id, &mode).await?;
            wh.push(search::condition(&mut sql, s, bench_id, found.as_ref()));
        }
        let bad = || StoreError::invalid("cursor", "not a cursor this server handed out (or for another sort)");
        let order_sql = match &order {
            None => {
                if let Some(c) = &q.cursor {
                    let parts = decode_cursor(c)?;
                    let (Some(case), Some(epoch)) =
                        (parts.first().and_then(Value::as_str), parts.get(1).and_then(Value::as_i64))
                    else {
                        return Err(bad());
                    };
                    let (pc, pe) = (sql.arg(case), sql.arg(epoch));
                    wh.push(format!("(r.case_id, r.epoch) > ({pc}, {pe})"));
                }
                "r.case_id, r.epoch".to_string()
            }
            Some(o) => {
                if let Some(c) = &q.cursor {
                    let parts = decode_cursor(c)?;
                    let id = parts.get(1).and_then(Value::as_i64).ok_or_else(bad)?;
                    let key = parts.first().ok_or_else(bad)?;
                    let pk = if o.numeric {
                        sql.arg(key.as_f64().ok_or_else(bad)?)
                    } else {
                        sql.arg(key.as_i64().ok_or_else(bad)?)
                    };
                    let pi = sql.arg(id);
                    let cmp = if o.desc { "<" } else { ">" };
                    wh.push(format!("({}, r.id) {cmp} ({pk}, {pi})", o.key));
                }
                let dir = if o.desc { "DESC" } else { "ASC" };
                format!("{} {dir}, r.id {dir}", o.key)
            }
        };
        let pl = sql.arg(limit + 1);
        let sql_text =
            format!("SELECT {SUMMARY_COLS} FROM results r WHERE {} ORDER BY {order_sql} LIMIT {pl}", wh.join(" AND "));
        let mut rows = self.db.all::<SummaryRow>(&sql_text, sql.args).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| {
                let key = match order.as_ref().map(|o| o.key) {
                    None => return encode_cursor(&serde_json::json!([r.case_id, r.epoch])),
                    Some("COALESCE(r.headline_score, -1.0)") => serde_json::json!(r.headline_score.unwrap_or(-1.0)),
                    Some("COALESCE(r.duration_ms, -1)") => serde_json::json!(r.duration_ms.unwrap_or(-1)),
                    Some("r.cost_usd") => serde_json::json!(r.cost_usd),
                    Some(_) => serde_json::json!(r.id),
                };
                encode_cursor(&serde_json::json!([key, r.id]))
            })
        } else {
            None
        };
        let mut results: Vec<ResultSummary> = rows.into_iter().map(ResultSummary::from).collect();
        if let Some(s) = &text_search {
            self.attach_snippets(bench_id, s, &mut results).await?;
        }
        Ok(ResultPage { results, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_parse() {
        assert!(order(Some("-score")).unwrap().unwrap().desc);
        assert!(order(Some("bogus")).is_err());
    }
}
