//! Reading `text/event-stream` answers in tests: frames split on blank lines, `id:` / `event:` /
//! `data:` fields, comments kept apart. Every wait is bounded, so a stream that never sends
//! fails the test instead of hanging it.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::TestApp;

/// How long a test waits for the next event before it fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// One event: its id, name and JSON data.
#[derive(Clone, Debug, PartialEq)]
pub struct Ev {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

/// Frames out of a byte stream.
#[derive(Default)]
pub struct Parser {
    buf: Vec<u8>,
    /// Comment lines seen so far (keep-alives, the shutdown's last word).
    pub comments: Vec<String>,
}

impl Parser {
    /// Feed bytes; the complete events they finish.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Ev> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = self.buf.drain(..end + 2).collect();
            let text = String::from_utf8(frame).expect("event streams are UTF-8");
            let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
            let mut any = false;
            for line in text.lines() {
                if let Some(c) = line.strip_prefix(':') {
                    self.comments.push(c.trim().to_string());
                } else if let Some((k, v)) = line.split_once(": ") {
                    any = true;
                    match k {
                        "id" => id = Some(v.parse().expect("numeric event id")),
                        "event" => event = v.to_string(),
                        "data" => data.push_str(v),
                        other => panic!("unexpected field {other}"),
                    }
                }
            }
            if any {
                out.push(Ev { id, event, data: serde_json::from_str(&data).expect("event data is JSON") });
            }
        }
        out
    }
}

/// An open event stream of the in-process app.
pub struct EventReader {
    body: Body,
    parser: Parser,
    queue: std::collections::VecDeque<Ev>,
    pub ended: bool,
}

impl EventReader {
    /// GET `path` as an event stream (with `Last-Event-ID` when given). A refusal comes back as
    /// its status and JSON body.
    pub async fn open(t: &TestApp, path: &str, last_event_id: Option<&str>, token: Option<&str>) -> Result<EventReader, (StatusCode, Value)> {
        let bearer = token.map(|tok| format!("Bearer {tok}"));
        let mut headers = Vec::new();
        headers.extend(last_event_id.map(|id| ("last-event-id", id)));
        headers.extend(bearer.as_deref().map(|b| ("authorization", b)));
        Self::open_with(t, path, &headers).await
    }

    /// GET `path` as an event stream with these extra headers (a browser's cookie, say).
    pub async fn open_with(t: &TestApp, path: &str, headers: &[(&str, &str)]) -> Result<EventReader, (StatusCode, Value)> {
        let mut req = Request::builder().uri(path).header("accept", "text/event-stream");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = t.app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = res.status();
        if status != StatusCode::OK {
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            return Err((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)));
        }
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        assert_eq!(res.headers()["cache-control"], "no-cache");
        Ok(EventReader { body: res.into_body(), parser: Parser::default(), queue: Default::default(), ended: false })
    }

    pub async fn must_open(t: &TestApp, path: &str) -> EventReader {
        match Self::open(t, path, None, None).await {
            Ok(r) => r,
            Err((s, b)) => panic!("GET {path}: {s} {b}"),
        }
    }

    /// The next event, or `None` once the stream has ended. Fails the test after [`WAIT`].
    pub async fn next(&mut self) -> Option<Ev> {
        match tokio::time::timeout(WAIT, self.next_inner()).await {
            Ok(e) => e,
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }

    async fn next_inner(&mut self) -> Option<Ev> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if self.ended {
                return None;
            }
            match self.body.frame().await {
                Some(Ok(f)) => {
                    if let Ok(bytes) = f.into_data() {
                        let evs = self.parser.push(&bytes);
                        self.queue.extend(evs);
                    }
                }
                Some(Err(e)) => panic!("stream failed: {e}"),
                None => self.ended = true,
            }
        }
    }

    /// The next `n` events.
    pub async fn take(&mut self, n: usize) -> Vec<Ev> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            match self.next().await {
                Some(e) => out.push(e),
                None => panic!("stream ended after {i} of {n} events: {out:?}"),
            }
        }
        out
    }

    /// Every event until the stream ends.
    pub async fn rest(&mut self) -> Vec<Ev> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }

    pub fn comments(&self) -> &[String] {
        &self.parser.comments
    }
}

/// Wait (bounded) until `f` holds; for counts that settle after a task notices something.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
