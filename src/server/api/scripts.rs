//! Scripts, versions, channels, benches and cases.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::LARGE_BODY;
use crate::model::{Bench, Channel, ErrorBody, ScriptVersion, UpsertCounts};
use crate::server::auth::{CanRead, CanWrite};
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::server::store::input::{MoveChannel, PublishVersion, PutBench, PutCases};
use crate::server::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish_version))
        .routes(routes!(get_version))
        .routes(routes!(move_channel, get_channel))
        .routes(routes!(put_bench))
        .merge(OpenApiRouter::new().routes(routes!(put_cases)).layer(DefaultBodyLimit::max(LARGE_BODY)))
}

/// Publish a version, or answer the existing one with the same content hash (200); moves the
/// named channels to it.
#[utoipa::path(post, path = "/scripts/{kind}/{name}/versions", tag = "scripts", request_body = PublishVersion,
    params(("kind" = String, Path, description = "`workflow` or `judge`", pattern = r"^(workflow|judge)$"), ("name" = String, Path, pattern = r"^[^/\u0000-\u001F\u007F-\u009F]{1,128}$")),
    responses((status = 201, body = ScriptVersion, description = "a new version"), (status = 200, body = ScriptVersion, description = "the version with this content"),
              (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn publish_version(
    _: CanWrite,
    State(s): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<PublishVersion>,
) -> ApiResult<(StatusCode, Json<ScriptVersion>)> {
    let (v, created) = s.store.publish_version(&kind, &name, &body).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(v)))
}

/// A version with its source and the channels pointing at it.
#[utoipa::path(get, path = "/scripts/{kind}/{name}/versions/{number}", tag = "scripts",
    params(("kind" = String, Path), ("name" = String, Path), ("number" = i64, Path)),
    responses((status = 200, body = ScriptVersion), (status = 404, body = ErrorBody)))]
async fn get_version(
    _: CanRead,
    State(s): State<AppState>,
    Path((kind, name, number)): Path<(String, String, String)>,
) -> ApiResult<Json<ScriptVersion>> {
    let n = number
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no version '{number}'")))?;
    Ok(Json(s.store.get_version(&kind, &name, n).await?))
}

/// Point a channel at a version; the move is appended to its publish history.
#[utoipa::path(put, path = "/scripts/{kind}/{name}/channels/{channel}", tag = "scripts", request_body = MoveChannel,
    params(("kind" = String, Path, pattern = r"^(workflow|judge)$"), ("name" = String, Path), ("channel" = String, Path, pattern = r"^[A-Za-z0-9._-]{1,128}$")),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn move_channel(
    _: CanWrite,
    State(s): State<AppState>,
    Path((kind, name, channel)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<MoveChannel>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.store.move_channel(&kind, &name, &channel, body.version, body.published_by.as_deref()).await?))
}

/// A channel with its publish history, newest first.
#[utoipa::path(get, path = "/scripts/{kind}/{name}/channels/{channel}", tag = "scripts",
    params(("kind" = String, Path), ("name" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody)))]
async fn get_channel(
    _: CanRead,
    State(s): State<AppState>,
    Path((kind, name, channel)): Path<(String, String, String)>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.store.get_channel(&kind, &name, &channel).await?))
}

/// Create or replace a bench.
#[utoipa::path(put, path = "/benches/{bench}", tag = "benches", request_body = PutBench,
    params(("bench" = String, Path, pattern = r"^[A-Za-z0-9._-]{1,128}$")),
    responses((status = 200, body = Bench), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn put_bench(
    _: CanWrite,
    State(s): State<AppState>,
    Path(bench): Path<String>,
    ApiJson(body): ApiJson<PutBench>,
) -> ApiResult<Json<Bench>> {
    Ok(Json(s.store.put_bench(&bench, &body).await?))
}

/// Upsert cases by id; a change to a frozen case's inputs or expected output is a 409.
#[utoipa::path(put, path = "/benches/{bench}/cases", tag = "benches", request_body = PutCases,
    params(("bench" = String, Path)),
    responses((status = 200, body = UpsertCounts), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn put_cases(
    _: CanWrite,
    State(s): State<AppState>,
    Path(bench): Path<String>,
    ApiJson(body): ApiJson<PutCases>,
) -> ApiResult<Json<UpsertCounts>> {
    Ok(Json(s.store.upsert_cases(&bench, &body.cases).await?))
}
