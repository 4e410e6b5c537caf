//! The JSON API under `/api`: one module per resource, each with its routes.

mod read;
mod runs;
mod scripts;
pub mod seed;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;

use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

/// Bodies on most routes stay small.
pub const SMALL_BODY: usize = 2 * 1024 * 1024;
/// Result batches (10,000 results with traces), case suites and import bundles.
pub const LARGE_BODY: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(scripts::router())
        .merge(runs::router())
        .merge(read::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(SMALL_BODY))
}

async fn not_found() -> impl IntoResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route")
}

/// A run id from the path: anything that is not a number names no run.
pub fn parse_id(what: &str, s: &str) -> ApiResult<i64> {
    s.parse::<i64>().map_err(|_| ApiError::not_found(format!("no {what} '{s}'")))
}
