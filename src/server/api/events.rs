//! Live event streams (SPEC §3b): a run's results as they are written, `lagged`, `terminal`; and
//! the run list's `progress`. Read scope, like every read; an unknown run is a 404 before any
//! byte is streamed. The streams themselves are the events hub's (`server::events`).

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::query_pairs;
use super::parse_id;
use crate::model::live::Progress;
use crate::model::{ErrorBody, ResultDetail};
use crate::server::auth::CanRead;
use crate::server::events;
use crate::server::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run_events)).routes(routes!(progress_events))
}

pub fn seed_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(seed_run_events))
}

/// `Last-Event-ID`: the sequence number of the last `result` a reconnecting client saw.
fn last_event_id(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(v) = headers.get("last-event-id") else { return Ok(None) };
    let v = v.to_str().map(str::trim).unwrap_or("x");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::invalid("Last-Event-ID", "must be the id of a result event (a whole number)"))
}

async fn stream(s: &AppState, id: &str, headers: &HeaderMap) -> ApiResult<Response> {
    let run_id = parse_id("run", id)?;
    let after = last_event_id(headers)?;
    Ok(events::run_events(&s.events, run_id, after).await?)
}

/// A run's live events: `result` (a `BenchResult`, `id:` its sequence number), `lagged`
/// (`{"dropped": n}` results this subscriber lost by falling behind), `terminal` (`{"status"}`,
/// then the stream ends; at once for a finished run). With `Last-Event-ID` the results after
/// that id come first, from the database. Keep-alive comments every 15 s.
#[utoipa::path(get, path = "/runs/{id}/events", tag = "runs",
    params(("id" = i64, Path), ("Last-Event-ID" = Option<i64>, Header, description = "resume after this result event")),
    responses(
        (status = 200, content_type = "text/event-stream", body = ResultDetail,
         description = "events `result` (BenchResult fields), `lagged` (Lagged), `terminal` (Terminal)"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn run_events(_: CanRead, State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    stream(&s, &id, &headers).await
}

/// The seed's `subscribe_run_events`: the same stream as `/api/runs/{id}/events`.
#[utoipa::path(get, path = "/bench-runs/{id}/events", tag = "seed",
    params(("id" = i64, Path), ("Last-Event-ID" = Option<i64>, Header, description = "resume after this result event")),
    responses(
        (status = 200, content_type = "text/event-stream", body = ResultDetail,
         description = "events `result` (BenchResult fields), `lagged` (Lagged), `terminal` (Terminal)"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn seed_run_events(_: CanRead, State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    stream(&s, &id, &headers).await
}

/// Progress of several runs on one stream, for the run list: a `progress` event per run at once
/// (`{run_id, results, status, run, stats}`), then one after each change of a run; the stream
/// ends when every run on it has finished. `runs` is a comma list of at most 100 ids.
#[utoipa::path(get, path = "/events", tag = "runs",
    params(("runs" = String, Query, description = "comma list of run ids, e.g. 1,2,3")),
    responses(
        (status = 200, content_type = "text/event-stream", body = Progress, description = "events `progress`"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn progress_events(_: CanRead, State(s): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let mut runs = Vec::new();
    for (k, v) in query_pairs(q)? {
        if k != "runs" {
            continue;
        }
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = part.parse::<i64>().map_err(|_| ApiError::invalid("runs", format!("'{part}' is not a run id")))?;
            if !runs.contains(&id) {
                runs.push(id);
            }
        }
    }
    Ok(events::progress_events(&s.events, runs).await?)
}
