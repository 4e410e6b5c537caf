//! The read side: keyset-paginated run and result lists, run stats, bench overviews. List
//! queries read stored aggregates and indexed columns only: never traces, never outputs.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::benches::BenchRow;
use super::results::{ResultRow, RESULT_SELECT};
use super::runs::{RunRow, RUN_SELECT};
use super::Store;
use crate::args;
use crate::domain::{ResultStatus, RunStatus};
use crate::model::{
    BenchOverview, ChannelLatest, ResultPage, ResultSummary, Run, RunPage, RunStats,
};
use crate::server::db::{any_of, Backend, Keys, Val};
use crate::server::error::{ApiError, ApiResult};
use crate::server::time::fmt_ms;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

pub use crate::model::query::{ResultsQuery, RunsQuery};

/// Placeholders numbered as arguments are pushed.
struct Sql {
    args: Vec<Val>,
    backend: Backend,
}

impl Sql {
    fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    fn like(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

/// `column IN ($a, $b, …)` for a comma-separated list of `value`s, each checked by `valid`.
fn in_list(sql: &mut Sql, column: &str, field: &str, value: &str, valid: impl Fn(&str) -> bool) -> ApiResult<String> {
    let mut ps = Vec::new();
    for one in value.split(',').map(str::trim) {
        if !valid(one) {
            return Err(ApiError::invalid(field, format!("unknown {field} '{one}'")));
        }
        ps.push(sql.arg(one));
    }
    Ok(format!("{column} IN ({})", ps.join(",")))
}

/// `%text%` with LIKE's wildcards escaped (used with `ESCAPE '\'`).
fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Cursors are opaque to clients: hex of a small JSON array.
fn encode_cursor(v: &Value) -> String {
    hex::encode(v.to_string())
}

fn decode_cursor(s: &str) -> ApiResult<Vec<Value>> {
    let bad = || ApiError::invalid("cursor", "not a cursor this server handed out");
    let bytes = hex::decode(s).map_err(|_| bad())?;
    match serde_json::from_slice::<Value>(&bytes).map_err(|_| bad())? {
        Value::Array(items) => Ok(items),
        _ => Err(bad()),
    }
}

fn limit(l: Option<i64>) -> ApiResult<i64> {
    match l {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", format!("must lie in [1, {MAX_LIMIT}]"))),
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    run_id: i64,
    case_id: String,
    case_name: Option<String>,
    epoch: i64,
    status: String,
    verdict: Option<String>,
    headline_score: Option<f64>,
    cost_usd: f64,
    duration_ms: Option<i64>,
    tokens_used: i64,
    cache_hit: bool,
    error: Option<String>,
    output_preview: Option<String>,
    created_at: i64,
}

impl From<SummaryRow> for ResultSummary {
    fn from(r: SummaryRow) -> Self {
        ResultSummary {
            id: r.id,
            bench_run_id: r.run_id,
            case_id: r.case_id,
            case_name: r.case_name,
            epoch: r.epoch,
            status: r.status,
            verdict: r.verdict,
            headline_score: r.headline_score,
            cost_usd: r.cost_usd,
            duration_ms: r.duration_ms,
            tokens_used: r.tokens_used,
            cache_hit: r.cache_hit,
            error: r.error,
            output_preview: r.output_preview,
            created_at: fmt_ms(r.created_at),
        }
    }
}

/// How a results page is ordered: the key expression (matching an index), its direction, and
/// how a cursor value binds.
struct Order {
    key: &'static str,
    desc: bool,
    numeric: bool,
}

fn order(sort: Option<&str>) -> ApiResult<Option<Order>> {
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
            return Err(ApiError::invalid(
                "sort",
                "use case, score, -score, latency, -latency, cost, -cost, created or -created",
            ))
        }
    };
    Ok(Some(Order { key, desc, numeric: name != "latency" && name != "created" }))
}

const SUMMARY_COLS: &str = "r.id, r.run_id, r.case_id, r.case_name, r.epoch, r.status, r.verdict, r.headline_score, \
     r.cost_usd, r.duration_ms, r.tokens_used, r.cache_hit, r.error, r.output_preview, r.created_at";

impl Store {
    async fn runs_with_dims(&self, rows: Vec<RunRow>) -> ApiResult<Vec<Run>> {
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
    pub async fn list_runs(&self, q: &RunsQuery) -> ApiResult<RunPage> {
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
            let (Some(t), Some(id)) = (parts.first().and_then(Value::as_i64), parts.get(1).and_then(Value::as_i64)) else {
                return Err(ApiError::invalid("cursor", "not a cursor this server handed out"));
            };
            let (pt, pi) = (sql.arg(t), sql.arg(id));
            wh.push(format!("(triggered_at, id) < ({pt}, {pi})"));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        let pl = sql.arg(limit + 1);
        let mut rows = self
            .db
            .all::<RunRow>(&format!("{RUN_SELECT} {where_sql} ORDER BY triggered_at DESC, id DESC LIMIT {pl}"), sql.args)
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
    pub async fn list_results(&self, run_id: i64, q: &ResultsQuery) -> ApiResult<ResultPage> {
        let limit = limit(q.limit)?;
        let (bench_id,) = self
            .db
            .opt::<(i64,)>("SELECT bench_id FROM runs WHERE id = $1", args![run_id])
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no run {run_id}")))?;
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
                    _ => return Err(ApiError::invalid("verdict", "use pass, fail, error or none")),
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
        if let Some(text) = non_empty(&q.q) {
            let p = sql.arg(like_pattern(text));
            let like = sql.like();
            wh.push(format!(
                "(r.case_id {like} {p} ESCAPE '\\' OR r.case_name {like} {p} ESCAPE '\\' OR r.error {like} {p} ESCAPE '\\' \
                 OR r.output_preview {like} {p} ESCAPE '\\')"
            ));
        }
        let bad = || ApiError::invalid("cursor", "not a cursor this server handed out (or for another sort)");
        let order_sql = match &order {
            None => {
                if let Some(c) = &q.cursor {
                    let parts = decode_cursor(c)?;
                    let (Some(case), Some(epoch)) = (parts.first().and_then(Value::as_str), parts.get(1).and_then(Value::as_i64))
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
        let sql_text = format!(
            "SELECT {SUMMARY_COLS} FROM results r WHERE {} ORDER BY {order_sql} LIMIT {pl}",
            wh.join(" AND ")
        );
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
        Ok(ResultPage { results: rows.into_iter().map(ResultSummary::from).collect(), next_cursor })
    }

    /// Sentinel's ResultStats for a run: its stored aggregates plus latency percentiles
    /// (nearest rank, read through the latency index).
    pub async fn run_stats(&self, run_id: i64) -> ApiResult<RunStats> {
        let run = self.get_run(run_id).await?;
        let (n,) = self
            .db
            .one::<(i64,)>("SELECT COUNT(*) FROM results WHERE run_id = $1 AND duration_ms IS NOT NULL", args![run_id])
            .await?;
        // Nearest-rank percentiles: the value at rank ceil(p·n).
        let rank = |p: f64| ((p * n as f64).ceil() as i64).clamp(1, n.max(1)) - 1;
        let p50 = self.latency_at(run_id, n, rank(0.5)).await?;
        let p95 = self.latency_at(run_id, n, rank(0.95)).await?;
        let skipped = run.status_breakdown.get("skipped").copied().unwrap_or(0);
        Ok(RunStats {
            run_id,
            total_cases: run.total_cases,
            passed: run.passed,
            failed: run.failed,
            errored: run.inconclusive,
            skipped,
            missing: run.missing,
            pass_rate: run.pass_rate,
            avg_score: run.mean_headline_score,
            avg_latency_ms: run.avg_latency_ms,
            p50_latency_ms: p50,
            p95_latency_ms: p95,
            total_tokens: run.total_tokens,
            total_cost: run.total_cost_usd,
            dimension_scores: run.dimension_scores,
            status_breakdown: run.status_breakdown,
        })
    }

    async fn latency_at(&self, run_id: i64, n: i64, rank: i64) -> ApiResult<Option<i64>> {
        if n == 0 {
            return Ok(None);
        }
        Ok(self
            .db
            .opt::<(i64,)>(
                "SELECT duration_ms FROM results WHERE run_id = $1 AND duration_ms IS NOT NULL \
                 ORDER BY duration_ms LIMIT 1 OFFSET $2",
                args![run_id, rank],
            )
            .await?
            .map(|r| r.0))
    }

    /// Benches with their case count, run count and latest run on each channel.
    pub async fn bench_overviews(&self, name: Option<&str>) -> ApiResult<Vec<BenchOverview>> {
        let (filter, a) = match name {
            Some(n) => ("WHERE b.name = $1", args![n]),
            None => ("", vec![]),
        };
        let benches = self
            .db
            .all::<BenchRow>(
                &format!(
                    "SELECT b.id, b.name, b.description, b.workflow_script_id, b.judge_script_id, w.name AS workflow, \
                     j.name AS judge, b.judge_channel, b.score_max, b.pass_threshold, b.created_at, b.updated_at \
                     FROM benches b JOIN scripts w ON w.id = b.workflow_script_id \
                     JOIN scripts j ON j.id = b.judge_script_id {filter} ORDER BY b.name"
                ),
                a,
            )
            .await?;
        let mut out = Vec::with_capacity(benches.len());
        for b in benches {
            let (cases,) = self.db.one::<(i64,)>("SELECT COUNT(*) FROM cases WHERE bench_id = $1", args![b.id]).await?;
            let (runs,) = self.db.one::<(i64,)>("SELECT COUNT(*) FROM runs WHERE bench_id = $1", args![b.id]).await?;
            let channels = self
                .db
                .all::<(String,)>("SELECT DISTINCT channel FROM runs WHERE bench_id = $1 ORDER BY channel", args![b.id])
                .await?;
            let mut latest = Vec::new();
            for (channel,) in channels {
                let row = self
                    .db
                    .one::<RunRow>(
                        &format!(
                            "{RUN_SELECT} WHERE bench_id = $1 AND channel = $2 ORDER BY triggered_at DESC, id DESC LIMIT 1"
                        ),
                        args![b.id, channel.clone()],
                    )
                    .await?;
                let run = row.into_model(Vec::new());
                latest.push(ChannelLatest {
                    channel,
                    run_id: run.id,
                    status: run.status,
                    mean_headline_score: run.mean_headline_score,
                    pass_rate: run.pass_rate,
                    total_cost_usd: run.total_cost_usd,
                    triggered_at: run.triggered_at,
                    workflow_version_number: run.workflow_version_number,
                    judge_version_number: run.judge_version_number,
                });
            }
            out.push(BenchOverview { bench: b.into_model(cases), run_count: runs, latest });
        }
        Ok(out)
    }

    /// One run's results with everything the seed's `BenchResult` carries (outputs included),
    /// in id order after `after_id`: the pages `/bench-runs/{id}/results` streams.
    pub async fn seed_results_page(&self, run_id: i64, after_id: i64, limit: i64) -> ApiResult<Vec<Value>> {
        let rows = self
            .db
            .all::<ResultRow>(
                &format!("{RESULT_SELECT} WHERE r.run_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"),
                args![run_id, after_id, limit],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                // The seed's BenchResult: every column, without the parts read one result at a time.
                let mut v = serde_json::to_value(r.into_detail(Vec::new(), BTreeMap::new(), Default::default()))
                    .expect("a result serialises");
                if let Some(o) = v.as_object_mut() {
                    for k in ["scorer_results", "dimension_scores", "trace"] {
                        o.remove(k);
                    }
                }
                v
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = encode_cursor(&serde_json::json!([1732300000000i64, 42]));
        assert_eq!(decode_cursor(&c).unwrap(), vec![serde_json::json!(1732300000000i64), serde_json::json!(42)]);
        assert_eq!(decode_cursor("zz").unwrap_err().field.as_deref(), Some("cursor"));
        assert!(decode_cursor(&hex::encode("{}")).is_err());
    }

    #[test]
    fn sort_names_parse() {
        assert!(order(Some("-score")).unwrap().unwrap().desc);
        assert!(order(Some("bogus")).is_err());
    }
}
