//! `POST /api/import/stream`: one source file's import stream — NDJSON lines (a run header, then
//! its cases and results in batches, then `end`) — applied as they arrive through one import
//! session. Nothing is committed before the `end` line: a stream cut short writes nothing.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::parse_json;
use super::LARGE_BODY;
use crate::model::ErrorBody;
use crate::server::auth::CanWrite;
use crate::server::state::AppState;
use crate::server::store::import_lines::{ImportLine, ImportOutcome};
use crate::server::store::ImportSession;

/// A client that sends nothing for this long is cut off (its session rolled back), so a stalled
/// upload cannot hold the write lock.
const IDLE: Duration = Duration::from_secs(60);
/// After a refusal, at most this much of the rest of the body is read (and dropped).
const DRAIN_LIMIT: usize = 1 << 30;

pub fn router() -> OpenApiRouter<AppState> {
    // The stream has no total size limit (one file may be gigabytes); each line is capped instead.
    OpenApiRouter::new().routes(routes!(import_stream)).layer(DefaultBodyLimit::disable())
}

fn at_line(mut e: ApiError, n: usize) -> ApiError {
    e.field = Some(match e.field {
        Some(f) => format!("lines[{n}].{f}"),
        None => format!("lines[{n}]"),
    });
    e
}

async fn apply(session: &mut Option<ImportSession>, line: &[u8], n: usize) -> ApiResult<Option<ImportOutcome>> {
    let parsed: ImportLine = parse_json(line).map_err(|e| at_line(e, n))?;
    let s = session.as_mut().ok_or_else(|| ApiError::invalid(format!("lines[{n}]"), "a line after the end line"))?;
    match parsed {
        ImportLine::Run(h) => s.begin_run(h).await.map(|_| None),
        ImportLine::Cases { run, cases } => s.cases(run, &cases).await.map(|_| None),
        ImportLine::Results { run, results } => s.results(run, results).await.map(|_| None),
        ImportLine::End => {
            let s = session.take().expect("session present");
            s.finish().await.map(|(o, _)| Some(o))
        }
    }
    .map_err(|e| at_line(ApiError::from(e), n))
}

/// Read the body line by line into the session; the outcome once `end` has been applied.
async fn consume(stream: &mut axum::body::BodyDataStream, session: ImportSession) -> ApiResult<ImportOutcome> {
    let mut session = Some(session);
    let mut outcome = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut n = 0;
    loop {
        let chunk = match tokio::time::timeout(IDLE, stream.next()).await {
            Err(_) => return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "idle", "no data for 60 s: nothing written")),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("reading the body: {e}"))),
            Ok(Some(Ok(bytes))) => bytes,
        };
        let searched = buf.len();
        buf.extend_from_slice(&chunk);
        let mut start = 0;
        let mut from = searched;
        while let Some(i) = buf[from..].iter().position(|&b| b == b'\n') {
            let end = from + i;
            let line = &buf[start..end];
            if !line.iter().all(u8::is_ascii_whitespace) {
                if let Some(o) = apply(&mut session, line, n).await? {
                    outcome = Some(o);
                }
                n += 1;
            }
            start = end + 1;
            from = start;
        }
        buf.drain(..start);
        if buf.len() > LARGE_BODY {
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("line {n} is over {LARGE_BODY} bytes")));
        }
    }
    if !buf.iter().all(u8::is_ascii_whitespace) {
        if let Some(o) = apply(&mut session, &buf, n).await? {
            outcome = Some(o);
        }
    }
    outcome.ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "incomplete", "the stream ended before its end line: nothing written").field("body")
    })
}

/// Import one source file streamed as NDJSON lines (`{"line": "run", …}`, `{"line": "cases", …}`,
/// `{"line": "results", …}`, `{"line": "end"}`), in one transaction. Runs imported before (same
/// source format, id and column) are answered with `created: false` and their lines skipped.
#[utoipa::path(post, path = "/import/stream", tag = "runs",
    request_body(content = String, content_type = "application/x-ndjson", description = "import lines, one JSON object a line"),
    responses((status = 200, body = ImportOutcome), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn import_stream(_: CanWrite, State(s): State<AppState>, body: Body) -> ApiResult<Json<ImportOutcome>> {
    let mut stream = body.into_data_stream();
    let session = s.store.import_session().await?;
    match consume(&mut stream, session).await {
        Ok(o) => Ok(Json(o)),
        Err(e) => {
            // Read the rest (the session is already rolled back) so the client, still sending, gets
            // this answer rather than a reset — up to a point.
            let mut drained = 0usize;
            while let Ok(Some(Ok(chunk))) = tokio::time::timeout(IDLE, stream.next()).await {
                drained += chunk.len();
                if drained > DRAIN_LIMIT {
                    break;
                }
            }
            Err(e)
        }
    }
}
