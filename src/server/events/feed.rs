//! One run's feed in one process: woken by "run changed", it reads every result after the last
//! sequence number it sent, renders the SSE frames once for all subscribers, and broadcasts them;
//! then where the run stands (aggregates for pages that asked, `terminal` once it is finished).
//!
//! Pokes coalesce: ten batches committed while a read runs cost one more read. Reading "after the
//! last sent" rather than "the rows of this batch" keeps the order right even when notifications
//! arrive out of order: rows of one run are numbered under its row lock, so whatever is visible
//! is a prefix of the numbering (replaced rows come back under later numbers).

use std::ops::Range;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{broadcast, Notify};

use super::{progress, sse, FeedHandle, BUFFER};
use crate::server::store::{Store, StoreResult};

/// Rows per read: one ingested batch of the usual size, a frame buffer of a few hundred KB.
pub const PAGE: i64 = 1_000;

/// What a run's feed broadcasts.
#[derive(Clone, Debug)]
pub(crate) enum Msg {
    Results(Arc<Chunk>),
    /// A rendered `progress` frame (sent only while a subscriber wants one).
    Progress(Bytes),
    Terminal(Arc<End>),
}

/// The results with `after < seq <= upto` as rendered `result` frames, one after another.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub after: i64,
    pub upto: i64,
    pub frames: Bytes,
    /// Each frame's sequence number and byte range in `frames`.
    pub index: Vec<(i64, Range<usize>)>,
}

impl Chunk {
    pub fn render(after: i64, rows: &[(i64, serde_json::Value)]) -> Chunk {
        let mut buf = Vec::with_capacity(rows.len() * 512);
        let mut index = Vec::with_capacity(rows.len());
        for (seq, row) in rows {
            let start = buf.len();
            sse::write_result(&mut buf, *seq, row);
            index.push((*seq, start..buf.len()));
        }
        let upto = rows.last().map_or(after, |r| r.0);
        Chunk { after, upto, frames: Bytes::from(buf), index }
    }

    /// The frames of results after `cursor` (all of them, shared, when the subscriber is level).
    pub fn after_cursor(&self, cursor: i64) -> Bytes {
        if cursor <= self.after {
            return self.frames.clone();
        }
        match self.index.iter().find(|(seq, _)| *seq > cursor) {
            Some((_, r)) => self.frames.slice(r.start..),
            None => Bytes::new(),
        }
    }
}

/// The run finished (or was deleted) with `status` after sequence number `last_seq`.
#[derive(Debug)]
pub(crate) struct End {
    pub status: String,
    pub last_seq: i64,
    /// The final `progress` frame, when a subscriber wants one.
    pub progress: Option<Bytes>,
}

/// Start a run's feed; the receiver of its first subscriber exists before the feed sends.
pub(super) fn start(store: Store, run_id: i64) -> (FeedHandle, broadcast::Receiver<Msg>) {
    let (tx, first) = broadcast::channel(BUFFER);
    let poke = Arc::new(Notify::new());
    let progress_subs = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicI64::new(-1));
    let feed = Feed { store, run_id, tx: tx.clone(), progress_subs: progress_subs.clone(), sent: sent.clone() };
    let task = tokio::spawn(feed.run(poke.clone()));
    (FeedHandle { tx, poke, progress_subs, sent, task }, first)
}

struct Feed {
    store: Store,
    run_id: i64,
    tx: broadcast::Sender<Msg>,
    progress_subs: Arc<AtomicUsize>,
    sent: Arc<AtomicI64>,
}

impl Feed {
    async fn run(self, poke: Arc<Notify>) {
        let run_id = self.run_id;
        let mut upto = loop {
            match self.store.live_state(run_id).await {
                Ok(s) => break s.event_seq,
                Err(e) if e.is_not_found() => break 0,
                Err(e) => {
                    tracing::warn!("live feed of run {run_id}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
        // Subscribers that read where the run stood before this feed did fill the gap up to
        // here from the database: an empty chunk tells them where the feed starts.
        self.send(Msg::Results(Arc::new(Chunk::render(upto, &[]))), upto);
        loop {
            poke.notified().await;
            if let Err(e) = self.step(&mut upto).await {
                tracing::warn!("live feed of run {run_id}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                poke.notify_one();
            }
        }
    }

    fn send(&self, msg: Msg, upto: i64) {
        // No receiver is not an error: the last subscriber may be leaving right now.
        let _ = self.tx.send(msg);
        self.sent.store(upto, Ordering::SeqCst);
    }

    /// Send what is new since `upto`, then where the run stands.
    async fn step(&self, upto: &mut i64) -> StoreResult<()> {
        let (store, run_id) = (&self.store, self.run_id);
        let wants_progress = self.progress_subs.load(Ordering::SeqCst) > 0;
        loop {
            let rows = store.results_between_seq(run_id, *upto, i64::MAX, PAGE).await?;
            if rows.is_empty() {
                break;
            }
            let chunk = Chunk::render(*upto, &rows);
            *upto = chunk.upto;
            self.send(Msg::Results(Arc::new(chunk)), *upto);
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        let state = match store.live_state(run_id).await {
            Ok(s) => Some(s),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        match state {
            // Deleted: streams end; there is nothing left to read.
            None => {
                let end = End { status: "deleted".into(), last_seq: *upto, progress: None };
                self.send(Msg::Terminal(Arc::new(end)), *upto);
            }
            Some(s) if s.status.is_finished() => {
                let progress = if wants_progress { progress::frame(store, run_id).await? } else { None };
                let end = End { status: s.status.as_str().to_string(), last_seq: s.event_seq, progress };
                self.send(Msg::Terminal(Arc::new(end)), *upto);
            }
            Some(_) if wants_progress => {
                if let Some(frame) = progress::frame(store, run_id).await? {
                    self.send(Msg::Progress(frame), *upto);
                }
            }
            Some(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chunk_hands_out_the_frames_after_a_cursor() {
        let rows = vec![(4, json!({"case_id": "a"})), (5, json!({"case_id": "b"})), (7, json!({"case_id": "c"}))];
        let c = Chunk::render(3, &rows);
        assert_eq!((c.after, c.upto), (3, 7));
        let text = |b: Bytes| String::from_utf8(b.to_vec()).unwrap();
        let all = text(c.after_cursor(3));
        assert_eq!(all.matches("event: result\n").count(), 3);
        assert!(all.starts_with("id: 4\nevent: result\ndata: {\"case_id\":\"a\"}\n\n"), "{all}");
        assert_eq!(text(c.after_cursor(1)), all, "a cursor behind the chunk takes it whole");
        let rest = text(c.after_cursor(5));
        assert_eq!(rest, "id: 7\nevent: result\ndata: {\"case_id\":\"c\"}\n\n");
        assert!(c.after_cursor(7).is_empty());
        let empty = Chunk::render(9, &[]);
        assert_eq!((empty.after, empty.upto), (9, 9));
        assert!(empty.frames.is_empty());
    }
}
