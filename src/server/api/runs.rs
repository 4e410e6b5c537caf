//! Runs: trigger, results, finish, delete, import, and reading one run or result back.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use serde::Deserialize;

use super::{parse_id, LARGE_BODY};
use crate::model::{ErrorBody, IngestCounts, ResultDetail, Run};
use crate::server::auth::{CanAdmin, CanRead, CanWrite};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, OptionalJson};
use crate::server::store::input::{FinishBody, ImportBundle, ResultsBody, TriggerRun};
use crate::server::state::AppState;
use crate::server::store::Finish;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trigger))
        .routes(routes!(get_run, delete_run))
        .routes(routes!(get_result))
        .routes(routes!(complete))
        .routes(routes!(fail))
        .routes(routes!(cancel))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(ingest))
                .routes(routes!(import))
                .layer(DefaultBodyLimit::max(LARGE_BODY)),
        )
}

fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Trigger a run: versions are resolved now (workflow from the run's channel, judge from the
/// bench's judge channel) and the case selection is fixed. A repeated `idempotency_key` answers
/// 200 with the first run.
#[utoipa::path(post, path = "/runs", tag = "runs", request_body = TriggerRun,
    responses((status = 201, body = Run), (status = 200, body = Run, description = "idempotent replay"),
              (status = 404, body = ErrorBody, description = "the bench, a pinned version, the channel or a case id names nothing"),
              (status = 409, body = ErrorBody, description = "sample_size is more than the cases to draw from"),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn trigger(
    _: CanWrite,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TriggerRun>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let (run, created) = s.store.trigger_run(&body).await?;
    Ok((created_or_ok(created), Json(run)))
}

/// One run with its aggregates.
#[utoipa::path(get, path = "/runs/{id}", tag = "runs", params(("id" = i64, Path)),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)))]
async fn get_run(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Run>> {
    Ok(Json(s.store.get_run(parse_id("run", &id)?).await?))
}

/// Remove a run and everything under it (admin scope).
#[utoipa::path(delete, path = "/runs/{id}", tag = "runs", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_run(_: CanAdmin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = parse_id("run", &id)?;
    s.store.delete_run(id).await?;
    s.events.changed(id);
    Ok(StatusCode::NO_CONTENT)
}

/// Add up to 10,000 results; a re-sent `(case_id, epoch)` replaces its row.
#[utoipa::path(post, path = "/runs/{id}/results", tag = "runs", params(("id" = i64, Path)), request_body = ResultsBody,
    responses((status = 200, body = IngestCounts), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn ingest(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultsBody>,
) -> ApiResult<Json<IngestCounts>> {
    let id = parse_id("run", &id)?;
    let counts = s.store.ingest_results(id, body.results).await?;
    // Committed: now (never before, never for a refused batch) the run's subscribers hear of it.
    if counts.inserted + counts.replaced > 0 {
        s.events.changed(id);
    }
    Ok(Json(counts))
}

#[derive(Deserialize)]
struct EpochQuery {
    epoch: Option<String>,
}

/// One result, whole: scorer results, dimensions and trace.
#[utoipa::path(get, path = "/runs/{id}/results/{case_id}", tag = "runs",
    params(("id" = i64, Path), ("case_id" = String, Path, description = "percent-encoded"), ("epoch" = Option<i64>, Query, description = "default 1")),
    responses((status = 200, body = ResultDetail), (status = 404, body = ErrorBody)))]
async fn get_result(
    _: CanRead,
    State(s): State<AppState>,
    Path((id, case_id)): Path<(String, String)>,
    Query(q): Query<EpochQuery>,
) -> ApiResult<Json<ResultDetail>> {
    let epoch = match q.epoch.as_deref() {
        None => 1,
        Some(e) => e.parse::<i64>().map_err(|_| ApiError::invalid("epoch", "must be a whole number"))?,
    };
    Ok(Json(s.store.get_result(parse_id("run", &id)?, &case_id, epoch).await?))
}

async fn finish(s: &AppState, id: &str, how: Finish, body: FinishBody) -> ApiResult<Json<Run>> {
    let id = parse_id("run", id)?;
    let run = s.store.finish_run(id, how, body.error).await?;
    s.events.changed(id);
    Ok(Json(run))
}

/// Complete a run (aggregates recounted exactly); a finished run answers as it stands.
#[utoipa::path(post, path = "/runs/{id}/complete", tag = "runs", params(("id" = i64, Path)), request_body(content = Option<FinishBody>),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn complete(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Complete, body).await
}

/// Mark a run failed, with an optional error; a finished run answers as it stands.
#[utoipa::path(post, path = "/runs/{id}/fail", tag = "runs", params(("id" = i64, Path)), request_body(content = Option<FinishBody>),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn fail(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Fail, body).await
}

/// Cancel a run; a finished run answers as it stands.
#[utoipa::path(post, path = "/runs/{id}/cancel", tag = "runs", params(("id" = i64, Path)), request_body(content = Option<FinishBody>),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn cancel(
    _: CanWrite,
    State(s): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<FinishBody>,
) -> ApiResult<Json<Run>> {
    finish(&s, &id, Finish::Cancel, body).await
}

/// A whole run in one bundle — scripts, bench, cases, run and results — created finished.
#[utoipa::path(post, path = "/import", tag = "runs", request_body = ImportBundle,
    responses((status = 201, body = Run), (status = 200, body = Run, description = "idempotent replay"),
              (status = 404, body = ErrorBody, description = "a script version the bundle names does not exist"),
              (status = 409, body = ErrorBody, description = "a frozen case would change, or a result is outside the run's cases"),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn import(
    _: CanWrite,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ImportBundle>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    let (run, created) = s.store.import_bundle(body).await?;
    Ok((created_or_ok(created), Json(run)))
}
