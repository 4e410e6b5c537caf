//! One subscriber's stream of a run (`GET /api/runs/{id}/events`, `/bench-runs/{id}/events`):
//! what it missed since `Last-Event-ID` from the database, then the run's feed, then `terminal`.
//!
//! A task per subscriber pumps frames into a small channel the response body drains. When the
//! client reads slowly the pump blocks on that channel, stops draining the run's broadcast buffer
//! and falls behind it: the next frames it sends are `lagged` with the number of result events it
//! lost. When the client goes away the pump ends and its slot is freed.

use bytes::Bytes;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::feed::{Msg, PAGE};
use super::{sse, Events, Subscription, KEEP_ALIVE};
use crate::model::live::{Lagged, Terminal};
use crate::server::store::{LiveState, Store, StoreResult};

/// Frames queued between the pump and the socket: the broadcast buffer is the real one.
const QUEUE: usize = 4;

/// Subscribe to `run_id` and answer its event stream, resuming after `last_event_id` if given.
/// An unknown run fails here, before any byte is sent.
pub(crate) async fn run_events(hub: &Events, run_id: i64, last_event_id: Option<i64>) -> StoreResult<axum::response::Response> {
    let sub = hub.subscribe(run_id, false);
    let state = hub.store().live_state(run_id).await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    let pump = Pump { store: hub.store().clone(), run_id, tx, last_sent: Instant::now() };
    let closing = hub.closing();
    let last_word = pump.tx.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = pump.follow(sub, state, last_event_id) => {}
            // Shutdown: the pump stops where it is; the body ends with a final comment (a
            // client resumes elsewhere with its Last-Event-ID).
            _ = closing => {
                let _ = last_word.send(sse::comment("server shutting down")).await;
            }
        }
    });
    Ok(sse::response(rx))
}

struct Pump {
    store: Store,
    run_id: i64,
    tx: mpsc::Sender<Bytes>,
    last_sent: Instant,
}

/// The client is gone (or the server is closing): stop.
struct Gone;

impl Pump {
    async fn send(&mut self, b: Bytes) -> Result<(), Gone> {
        if b.is_empty() {
            return Ok(());
        }
        self.tx.send(b).await.map_err(|_| Gone)?;
        self.last_sent = Instant::now();
        Ok(())
    }

    /// Results with `after < seq <= upto` from the database, page by page.
    async fn replay(&mut self, mut after: i64, upto: i64) -> Result<(), Gone> {
        while after < upto {
            let rows = match self.store.results_between_seq(self.run_id, after, upto, PAGE).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("event stream of run {}: {e}", self.run_id);
                    return Err(Gone);
                }
            };
            let Some(last) = rows.last().map(|r| r.0) else { break };
            self.send(super::feed::Chunk::render(after, &rows).frames).await?;
            after = last;
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        Ok(())
    }

    /// Bring the subscriber from `cursor` to `to`: from the database, or — if it fell behind the
    /// buffer — by telling it how many result events it lost.
    async fn catch_up(&mut self, cursor: &mut i64, to: i64, lagged: bool) -> Result<(), Gone> {
        if to > *cursor {
            if lagged {
                self.send(sse::event("lagged", &Lagged { dropped: to - *cursor })).await?;
            } else {
                self.replay(*cursor, to).await?;
            }
            *cursor = to;
        }
        Ok(())
    }

    async fn follow(mut self, mut sub: Subscription, state: LiveState, last_event_id: Option<i64>) -> Result<(), Gone> {
        // A Last-Event-ID past the run's end (another database, a reset) resumes from its end.
        let mut cursor = last_event_id.map_or(state.event_seq, |id| id.clamp(0, state.event_seq));
        self.catch_up(&mut cursor, state.event_seq, false).await?;
        if state.status.is_finished() {
            return self.send(sse::event("terminal", &Terminal { status: state.status.as_str().into() })).await;
        }
        let mut lagged = false;
        loop {
            let msg = tokio::select! {
                m = sub.recv() => m,
                _ = tokio::time::sleep_until(self.last_sent + KEEP_ALIVE) => {
                    self.send(sse::comment("keep-alive")).await?;
                    continue;
                }
                _ = self.tx.closed() => return Err(Gone),
            };
            match msg {
                Ok(Msg::Results(chunk)) => {
                    self.catch_up(&mut cursor, chunk.after, lagged).await?;
                    lagged = false;
                    self.send(chunk.after_cursor(cursor)).await?;
                    cursor = cursor.max(chunk.upto);
                }
                Ok(Msg::Progress(_)) => {}
                Ok(Msg::Terminal(end)) => {
                    self.catch_up(&mut cursor, end.last_seq, lagged).await?;
                    return self.send(sse::event("terminal", &Terminal { status: end.status.clone() })).await;
                }
                Err(RecvError::Lagged(_)) => lagged = true,
                Err(RecvError::Closed) => return Err(Gone),
            }
        }
    }
}
