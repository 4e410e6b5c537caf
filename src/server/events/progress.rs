//! `GET /api/events?runs=1,2,…`: one stream of `progress` events for the runs a page shows —
//! where each stands now, then again after each of its changes (the feeds send it only while
//! someone wants it). The stream ends once every run on it has finished.

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::feed::Msg;
use super::{sse, Events, Subscription, KEEP_ALIVE};
use crate::model::live::Progress;
use crate::server::store::{Store, StoreError, StoreResult};

/// The most runs one progress stream follows (a page of the run list is 50).
pub const MAX_RUNS: usize = 100;

/// The rendered `progress` event of a run as it stands, or `None` if it was deleted.
pub(super) async fn frame(store: &Store, run_id: i64) -> StoreResult<Option<Bytes>> {
    let run = match store.get_run(run_id).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let stats = store.run_stats(run_id).await?;
    let p = Progress { run_id, results: run.results_count, status: run.status.clone(), run, stats };
    Ok(Some(sse::event("progress", &p)))
}

/// Subscribe to `runs` and answer their progress stream. Unknown runs fail here, before any byte.
pub(crate) async fn progress_events(hub: &Events, runs: Vec<i64>) -> StoreResult<axum::response::Response> {
    if runs.is_empty() {
        return Err(StoreError::invalid("runs", "name at least one run id"));
    }
    if runs.len() > MAX_RUNS {
        return Err(StoreError::invalid("runs", format!("{} runs; follow at most {MAX_RUNS}", runs.len())));
    }
    let subs: Vec<Subscription> = runs.iter().map(|&id| hub.subscribe(id, true)).collect();
    let mut open = Vec::with_capacity(runs.len());
    let mut first = Vec::with_capacity(runs.len());
    for &id in &runs {
        let state = hub.store().live_state(id).await.map_err(|e| e.field("runs"))?;
        if !state.status.is_finished() {
            open.push(id);
        }
        first.extend(frame(hub.store(), id).await?);
    }
    let (tx, rx) = mpsc::channel(4);
    let last_word = tx.clone();
    let closing = hub.closing();
    let store = hub.store().clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = pump(store, subs, open, first, tx) => {}
            _ = closing => {
                let _ = last_word.send(sse::comment("server shutting down")).await;
            }
        }
    });
    Ok(sse::response(rx))
}

async fn pump(store: Store, subs: Vec<Subscription>, mut open: Vec<i64>, first: Vec<Bytes>, tx: mpsc::Sender<Bytes>) {
    for f in first {
        if tx.send(f).await.is_err() {
            return;
        }
    }
    let mut last_sent = Instant::now();
    // Every run's messages on one stream, each tagged with its run.
    let mut merged = futures::stream::select_all(subs.into_iter().map(|sub| {
        Box::pin(futures::stream::unfold(Some(sub), |sub| async move {
            let mut sub = sub?;
            let m = sub.recv().await;
            let id = sub.run_id();
            // A closed feed says so once, then that run's part of the stream ends.
            let next = (!matches!(m, Err(RecvError::Closed))).then_some(sub);
            Some(((id, m), next))
        }))
    }));
    while !open.is_empty() {
        let (run_id, msg) = tokio::select! {
            Some(m) = merged.next() => m,
            _ = tokio::time::sleep_until(last_sent + KEEP_ALIVE) => {
                if tx.send(sse::comment("keep-alive")).await.is_err() {
                    return;
                }
                last_sent = Instant::now();
                continue;
            }
            _ = tx.closed() => return,
        };
        let out = match msg {
            Ok(Msg::Progress(f)) => Some(f),
            Ok(Msg::Terminal(end)) => {
                open.retain(|&id| id != run_id);
                match &end.progress {
                    Some(f) => Some(f.clone()),
                    None => frame(&store, run_id).await.ok().flatten(),
                }
            }
            Ok(Msg::Results(_)) => None,
            // Fell behind (or the feed is gone): where the run stands now says it all.
            Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => match store.live_state(run_id).await {
                Ok(s) => {
                    if s.status.is_finished() {
                        open.retain(|&id| id != run_id);
                    }
                    frame(&store, run_id).await.ok().flatten()
                }
                Err(_) => {
                    open.retain(|&id| id != run_id);
                    None
                }
            },
        };
        if let Some(f) = out {
            if tx.send(f).await.is_err() {
                return;
            }
            last_sent = Instant::now();
        }
    }
}
