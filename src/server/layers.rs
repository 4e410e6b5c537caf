//! The layers around the whole app, outermost first: a request id on every request (the
//! client's `x-request-id` when it is usable, else a new UUID), a trace span carrying it (so every log line of the
//! request names it), the id echoed on the answer, compression, the id written into 5xx JSON
//! answers, and handler panics answered as JSON 500s instead of a dropped connection.

use std::any::Any;

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::server::api::error::ApiError;
use crate::server::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A 5xx body larger than this is passed on untouched (ours are a few hundred bytes).
const MAX_ERROR_BODY: u64 = 64 * 1024;

pub fn around(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn(request_id_in_errors))
        .layer(axum::middleware::from_fn(refuse_nul_in_url))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!("request", request_id = %request_id(req).unwrap_or("-"), method = %req.method(), path = %req.uri().path())
                })
                // One line per answer (status and latency): the access log.
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

/// The longest client-chosen request id kept; longer ones are replaced by a new UUID.
const MAX_REQUEST_ID: usize = 128;

/// A client's id is kept only when it can name the request in logs: 1–128 visible ASCII
/// characters. Anything else (empty, huge, binary) is dropped, so the next layer makes a UUID.
async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req.headers().get(REQUEST_ID).is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= MAX_REQUEST_ID && b.iter().all(|c| c.is_ascii_graphic())
    });
    if !usable {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

fn request_id(req: &Request) -> Option<&str> {
    req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok())
}

fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    ApiError::internal(format!("panic: {message}")).into_response()
}

/// `%00` anywhere in the path or query: no name, id or search term holds NUL, and PostgreSQL
/// would refuse it deep inside a query (a 500) where SQLite would not.
async fn refuse_nul_in_url(req: Request, next: Next) -> Response {
    let nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    if nul(req.uri().path()) || req.uri().query().is_some_and(nul) {
        return ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_request", "the URL holds %00 (NUL)")
            .field("url")
            .into_response();
    }
    next.run(req).await
}

/// axum's own refusals (a path or query that does not decode, a method the route lacks) are
/// plain text or empty; on the JSON routes they become the API's error body like every other
/// refusal, with the parameter at fault as the field when axum names one.
pub async fn json_rejections(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let (is_json, small) = json_and_small(&res);
    if !(status.is_client_error() || status.is_server_error()) || is_json || !small {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_BODY as usize).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("refused").to_string() } else { text };
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        _ if status.is_server_error() => "internal",
        _ => "refused",
    };
    // "Invalid URL: Invalid UTF-8 in `case_id`" names its parameter between backticks.
    let field = message.split('`').nth(1).filter(|f| !f.is_empty() && f.len() <= 64).map(str::to_string);
    let mut err = ApiError::new(status, code, message);
    err.field = field;
    let mut res = err.into_response();
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n == header::ALLOW) {
        res.headers_mut().insert(name, value.clone());
    }
    res
}

/// Is the answer JSON, and is its body of a known size small enough to rewrite?
fn json_and_small(res: &Response) -> (bool, bool) {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = res.body().size_hint().exact().is_some_and(|n| n <= MAX_ERROR_BODY);
    (is_json, small)
}

/// A 5xx JSON answer gets `error.request_id`, so a user can quote it and an operator find the
/// request's log lines.
async fn request_id_in_errors(req: Request, next: Next) -> Response {
    let id = request_id(&req).map(str::to_owned);
    let res = next.run(req).await;
    let (is_json, small) = json_and_small(&res);
    let Some(id) = id.filter(|_| res.status().is_server_error() && is_json && small) else {
        return res;
    };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY as usize).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if let Some(error) = value.get_mut("error").and_then(|e| e.as_object_mut()) {
        error.insert("request_id".into(), id.into());
    }
    let bytes = serde_json::to_vec(&value).expect("a JSON value serialises");
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from(bytes))
}
