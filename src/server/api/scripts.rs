//! Scripts, versions, channels, benches and cases.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};

use super::LARGE_BODY;
use crate::model::{Bench, Channel, ScriptVersion, UpsertCounts};
use crate::server::auth::{CanRead, CanWrite};
use crate::server::error::{ApiError, ApiResult};
use crate::server::input::{ApiJson, MoveChannel, PublishVersion, PutBench, PutCases};
use crate::server::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scripts/{kind}/{name}/versions", post(publish_version))
        .route("/scripts/{kind}/{name}/versions/{number}", get(get_version))
        .route("/scripts/{kind}/{name}/channels/{channel}", put(move_channel).get(get_channel))
        .route("/benches/{bench}", put(put_bench))
        .route(
            "/benches/{bench}/cases",
            put(put_cases).layer(DefaultBodyLimit::max(LARGE_BODY)),
        )
}

async fn publish_version(
    _: CanWrite,
    State(s): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<PublishVersion>,
) -> ApiResult<(StatusCode, Json<ScriptVersion>)> {
    let (v, created) = s.store.publish_version(&kind, &name, &body).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(v)))
}

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

async fn move_channel(
    _: CanWrite,
    State(s): State<AppState>,
    Path((kind, name, channel)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<MoveChannel>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.store.move_channel(&kind, &name, &channel, body.version, body.published_by.as_deref()).await?))
}

async fn get_channel(
    _: CanRead,
    State(s): State<AppState>,
    Path((kind, name, channel)): Path<(String, String, String)>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.store.get_channel(&kind, &name, &channel).await?))
}

async fn put_bench(
    _: CanWrite,
    State(s): State<AppState>,
    Path(bench): Path<String>,
    ApiJson(body): ApiJson<PutBench>,
) -> ApiResult<Json<Bench>> {
    Ok(Json(s.store.put_bench(&bench, &body).await?))
}

async fn put_cases(
    _: CanWrite,
    State(s): State<AppState>,
    Path(bench): Path<String>,
    ApiJson(body): ApiJson<PutCases>,
) -> ApiResult<Json<UpsertCounts>> {
    Ok(Json(s.store.upsert_cases(&bench, &body.cases).await?))
}
