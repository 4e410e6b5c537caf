//! Runs: trigger, results, finish, delete, import, and reading one run or result back.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{parse_id, LARGE_BODY};
use crate::model::{IngestCounts, ResultDetail, Run};
use crate::server::auth::{CanAdmin, CanRead, CanWrite};
use crate::server::error::{ApiError, ApiResult};
use crate::server::input::{ApiJson, FinishBody, ImportBundle, OptionalJson, ResultsBody, TriggerRun};
use crate::server::state::AppState;
use crate::server::store::Finish;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", post(trigger))
        .route("/runs/{id}", get(get_run).delete(delete_run))
        .route(
            "/runs/{id}/results",
            post(ingest).layer(DefaultBodyLimit::max(LARGE_BODY)),
        )
        .route("/runs/{id}/results/{case_id}", get(get_result))
        .route("/runs/{id}/complete", post(complete))
        .route("/runs/{id}/fail", post(fail))
        .route("/runs/{id}/cancel", post(cancel))
        .route("/import", post(import).layer(DefaultBodyLimit::max(LARGE_BODY)))
}

fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn trigger(
    _: CanWrite,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TriggerRun>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let (run, created) = s.store.trigger_run(&body).await?;
    Ok((created_or_ok(created), Json(run)))
}

async fn get_run(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Run>> {
    Ok(Json(s.store.get_run(parse_id("run", &id)?).await?))
}

async fn delete_run(_: CanAdmin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.store.delete_run(parse_id("run", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn ingest(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultsBody>,
) -> ApiResult<Json<IngestCounts>> {
    Ok(Json(s.store.ingest_results(parse_id("run", &id)?, body.results).await?))
}

#[derive(Deserialize)]
struct EpochQuery {
    epoch: Option<String>,
}

async fn get_result(
    _: CanRead,
    State(s): State<AppState>,
    Path((id, case_id)): Path<(String, String)>,
    Query(q): Query<EpochQuery>,
) -> ApiResult<Json<ResultDetail>> {
    let epoch = match q.epoch.as_deref() {
        None | Some("") => 1,
        Some(e) => e.parse::<i64>().map_err(|_| ApiError::invalid("epoch", "must be a whole number"))?,
    };
    Ok(Json(s.store.get_result(parse_id("run", &id)?, &case_id, epoch).await?))
}

async fn finish(s: &AppState, id: &str, how: Finish, body: FinishBody) -> ApiResult<Json<Run>> {
    Ok(Json(s.store.finish_run(parse_id("run", id)?, how, body.error).await?))
}

async fn complete(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Complete, body).await
}

async fn fail(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Fail, body).await
}

async fn cancel(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Cancel, body).await
}

async fn import(
    _: CanWrite,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ImportBundle>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let (run, created) = s.store.import_bundle(body).await?;
    Ok((created_or_ok(created), Json(run)))
}
