//! The seed's own protocol (`akribes-sdk`'s `BenchRunsClient`): `/bench-runs/…` with the seed's
//! field names. Results stream as one JSON array, page by page, so a 50,000-result run never
//! sits in memory.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::model::{ErrorBody, ResultDetail, Run};
use crate::server::auth::{CanRead, CanWrite};
use super::error::ApiResult;
use crate::server::state::AppState;
use crate::server::store::{Finish, Store};

const PAGE: i64 = 1_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_run)).routes(routes!(results)).routes(routes!(cancel))
}

/// The seed's `BenchRun`.
#[utoipa::path(get, path = "/bench-runs/{id}", tag = "seed", params(("id" = i64, Path)),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)))]
async fn get_run(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Run>> {
    Ok(Json(s.store.get_run(parse_id("run", &id)?).await?))
}

/// Cancel a run (or answer it as it stands when finished).
#[utoipa::path(post, path = "/bench-runs/{id}/cancel", tag = "seed", params(("id" = i64, Path)),
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn cancel(_: CanWrite, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Run>> {
    let id = parse_id("run", &id)?;
    let run = s.store.finish_run(id, Finish::Cancel, None).await?;
    s.events.changed(id);
    Ok(Json(run))
}

struct Cursor {
    store: Store,
    run_id: i64,
    after: i64,
    first: bool,
    done: bool,
}

/// Every `BenchResult` of the run as one JSON array, streamed (no scorer results or traces).
#[utoipa::path(get, path = "/bench-runs/{id}/results", tag = "seed", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ResultDetail>, description = "the seed's BenchResult fields"), (status = 404, body = ErrorBody)))]
async fn results(_: CanRead, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let run_id = parse_id("run", &id)?;
    // 404 before the stream starts, not halfway through it.
    s.store.get_run(run_id).await?;
    let start = Cursor { store: s.store.clone(), run_id, after: 0, first: true, done: false };
    let stream = futures::stream::unfold(start, |mut c| async move {
        if c.done {
            return None;
        }
        let mut buf = Vec::new();
        if c.first {
            buf.push(b'[');
        }
        match c.store.seed_results_page(c.run_id, c.after, PAGE).await {
            Ok(rows) => {
                for (i, row) in rows.iter().enumerate() {
                    if !(c.first && i == 0) {
                        buf.push(b',');
                    }
                    serde_json::to_writer(&mut buf, row).expect("serialise a result");
                }
                if let Some(last) = rows.last() {
                    c.after = last["id"].as_i64().unwrap_or(i64::MAX);
                    c.first = c.first && rows.is_empty();
                }
                if (rows.len() as i64) < PAGE {
                    buf.push(b']');
                    c.done = true;
                }
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), c))
            }
            Err(e) => {
                c.done = true;
                Some((Err(std::io::Error::other(e.to_string())), c))
            }
        }
    });
    // Fused: tower-http's compression layer polls the body once more after its end, which an
    // `unfold` answers with a panic (a truncated body for every client that accepts gzip or br).
    let stream = futures::StreamExt::fuse(stream);
    Ok(([(header::CONTENT_TYPE, "application/json")], Body::from_stream(stream)).into_response())
}
