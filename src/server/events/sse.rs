//! The `text/event-stream` wire format, written by hand rather than through axum's `Sse`: a
//! batch of results is rendered once into one buffer that every subscriber of the run shares
//! (`Bytes` clones), where `Sse` would build, copy and frame every event again for every
//! subscriber — 100 subscribers of a 1,000-result batch are one render and 100 writes, not
//! 100,000 events. The framing is what `Sse` writes: `id:`, `event:`, one `data:` line (compact
//! JSON has no newlines), a blank line; comments for keep-alive.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

/// `id: <seq>` / `event: result` / `data: <BenchResult>`.
pub fn write_result(buf: &mut Vec<u8>, seq: i64, row: &serde_json::Value) {
    buf.extend_from_slice(b"id: ");
    buf.extend_from_slice(seq.to_string().as_bytes());
    buf.extend_from_slice(b"\nevent: result\ndata: ");
    serde_json::to_writer(&mut *buf, row).expect("a JSON value serialises");
    buf.extend_from_slice(b"\n\n");
}

/// An event without an id (`lagged`, `terminal`, `progress`).
pub fn event<T: Serialize>(name: &str, data: &T) -> Bytes {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    serde_json::to_writer(&mut buf, data).expect("an event payload serialises");
    buf.extend_from_slice(b"\n\n");
    Bytes::from(buf)
}

/// A comment line: ignored by clients, it keeps the connection alive or says why it ends.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {}\n\n", text.replace(['\r', '\n'], " ")))
}

/// The streaming answer: what the stream's task sends on `rx`, as it comes. Not compressed
/// (tower-http's default predicate skips `text/event-stream`) and marked for proxies not to
/// buffer.
pub fn response(mut rx: mpsc::Receiver<Bytes>) -> Response {
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|b| b.map(Ok::<Bytes, std::convert::Infallible>))
    }));
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_are_what_an_sse_parser_reads() {
        let mut buf = Vec::new();
        write_result(&mut buf, 12, &json!({"error": "line one\nline two"}));
        assert_eq!(String::from_utf8(buf).unwrap(), "id: 12\nevent: result\ndata: {\"error\":\"line one\\nline two\"}\n\n");
        assert_eq!(&event("lagged", &json!({"dropped": 3}))[..], b"event: lagged\ndata: {\"dropped\":3}\n\n");
        assert_eq!(&comment("bye\nnow")[..], b": bye now\n\n");
    }
}
