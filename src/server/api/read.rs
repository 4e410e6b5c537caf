//! Read routes: run and result lists, stats, bench overviews.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};

use super::parse_id;
use crate::model::{BenchOverview, ResultPage, RunPage, RunStats};
use crate::server::auth::CanRead;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use crate::server::store::read::{results_query, runs_query};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", get(list_runs))
        .route("/runs/{id}/results", get(list_results))
        .route("/runs/{id}/stats", get(stats))
        .route("/benches", get(list_benches))
        .route("/benches/{bench}", get(get_bench))
}

/// Query pairs, percent-decoded, in order (repeated keys kept).
pub fn pairs(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&q).unwrap_or_default()
    })
    .unwrap_or_default()
}

async fn list_runs(_: CanRead, State(s): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<RunPage>> {
    Ok(Json(s.store.list_runs(&runs_query(&pairs(q))?).await?))
}

async fn list_results(
    _: CanRead,
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<ResultPage>> {
    Ok(Json(s.store.list_results(parse_id("run", &id)?, &results_query(&pairs(q))?).await?))
}

async fn stats(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<RunStats>> {
    Ok(Json(s.store.run_stats(parse_id("run", &id)?).await?))
}

async fn list_benches(_: CanRead, State(s): State<AppState>) -> ApiResult<Json<Vec<BenchOverview>>> {
    Ok(Json(s.store.bench_overviews(None).await?))
}

async fn get_bench(_: CanRead, State(s): State<AppState>, Path(bench): Path<String>) -> ApiResult<Json<BenchOverview>> {
    s.store
        .bench_overviews(Some(&bench))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no bench named '{bench}'")))
}
