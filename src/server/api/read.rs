//! Read routes: run and result lists, stats, bench overviews.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export;
use super::extract::query_pairs;
use super::parse_id;
use crate::model::{BenchOverview, ErrorBody, ResultPage, RunPage, RunStats};
use crate::server::auth::CanRead;
use super::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use crate::model::query::{BadParam, ResultsQuery, RunsQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs))
        .routes(routes!(list_results))
        .routes(routes!(stats))
        .routes(routes!(list_benches))
        .routes(routes!(get_bench))
}

fn bad(BadParam(field): BadParam) -> ApiError {
    ApiError::invalid(field, "must be a whole number")
}

/// The query's pairs. An empty text filter means no filter, but an empty `limit` is not a
/// number: the API says so (the pages' forms never send one).
fn list_pairs(raw: Option<String>) -> ApiResult<Vec<(String, String)>> {
    let pairs = query_pairs(raw)?;
    if pairs.iter().any(|(k, v)| k == "limit" && v.trim().is_empty()) {
        return Err(ApiError::invalid("limit", "must be a whole number"));
    }
    Ok(pairs)
}

/// Runs, newest first, keyset-paginated; `meta.KEY=value` filters on run metadata.
#[utoipa::path(get, path = "/runs", tag = "runs",
    params(("bench" = Option<String>, Query), ("channel" = Option<String>, Query),
           ("status" = Option<String>, Query, description = "comma list of run statuses", pattern = r"^\s*$|^\s*(pending|running|completed|failed|canceled)\s*(,\s*(pending|running|completed|failed|canceled)\s*)*$"),
           ("triggered_by" = Option<String>, Query), ("q" = Option<String>, Query), ("meta.KEY" = Option<String>, Query),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 500),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before")),
    responses((status = 200, body = RunPage), (status = 422, body = ErrorBody)))]
async fn list_runs(_: CanRead, State(s): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<RunPage>> {
    let pairs = list_pairs(q)?;
    let query = RunsQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(bad)?;
    Ok(Json(s.store.list_runs(&query).await?))
}

/// A page of a run's results: no traces, a short output preview. `q` searches case ids and
/// names (as a substring) and the words of outputs, inputs, errors and scorer reasons; each row
/// then carries the snippet that matched. `format=csv` or `format=jsonl` streams every result
/// the filters keep (all pages, every epoch; `limit` and `cursor` ignored) as a download, JSON
/// Lines in the rows' shape.
#[utoipa::path(get, path = "/runs/{id}/results", tag = "runs",
    params(("id" = i64, Path), ("status" = Option<String>, Query, description = "comma list of result statuses", pattern = r"^\s*$|^\s*(ok|cached|workflow_failed|judge_failed|skipped)\s*(,\s*(ok|cached|workflow_failed|judge_failed|skipped)\s*)*$"),
           ("verdict" = Option<String>, Query, description = "comma list of pass, fail, error or none", pattern = r"^\s*$|^\s*(pass|fail|error|none)\s*(,\s*(pass|fail|error|none)\s*)*$"),
           ("tag" = Option<String>, Query), ("q" = Option<String>, Query, description = "any text"),
           ("sort" = Option<String>, Query, description = "case, score, latency, cost, created; `-` for descending", pattern = r"^$|^(case|-?(score|latency|cost|created))$"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 500),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before"),
           ("format" = Option<String>, Query, description = "json (default, one page), csv or jsonl (every result, streamed)", pattern = r"^(|json|csv|jsonl)$")),
    responses((status = 200, content((ResultPage = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_results(
    _: CanRead,
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let pairs = list_pairs(q)?;
    let query = ResultsQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(bad)?;
    let run_id = parse_id("run", &id)?;
    let format = export::Format::parse(pairs.iter().rev().find(|(k, _)| k == "format").map(|(_, v)| v.as_str()))?;
    match format {
        None => Ok(Json(s.store.list_results(run_id, &query).await?).into_response()),
        Some(f) => export::results(s.store.clone(), run_id, query, f).await,
    }
}

/// Sentinel's ResultStats for a run.
#[utoipa::path(get, path = "/runs/{id}/stats", tag = "runs", params(("id" = i64, Path)),
    responses((status = 200, body = RunStats), (status = 404, body = ErrorBody)))]
async fn stats(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<RunStats>> {
    Ok(Json(s.store.run_stats(parse_id("run", &id)?).await?))
}

/// Every bench with its case count and latest run per channel.
#[utoipa::path(get, path = "/benches", tag = "benches", responses((status = 200, body = Vec<BenchOverview>)))]
async fn list_benches(_: CanRead, State(s): State<AppState>) -> ApiResult<Json<Vec<BenchOverview>>> {
    Ok(Json(s.store.bench_overviews(None).await?))
}

/// One bench with its case count and latest run per channel.
#[utoipa::path(get, path = "/benches/{bench}", tag = "benches", params(("bench" = String, Path)),
    responses((status = 200, body = BenchOverview), (status = 404, body = ErrorBody)))]
async fn get_bench(_: CanRead, State(s): State<AppState>, Path(bench): Path<String>) -> ApiResult<Json<BenchOverview>> {
    s.store
        .bench_overviews(Some(&bench))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no bench named '{bench}'")))
}
