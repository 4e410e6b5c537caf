//! Live run events: the hub every event stream subscribes to, owned by the app state.
//!
//! Per watched run, each process keeps one **feed** (`feed.rs`): a task that reads the run's new
//! results from the database once, renders them as SSE frames once, and fans them out to that
//! run's subscribers through a bounded broadcast buffer (a subscriber that falls behind it is told
//! how many results it lost). Writers never hand rows to the hub: after their transaction commits
//! they only say "run N changed" ([`Events::changed`]) — straight to the local feed on SQLite, which
//! is one process, and through PostgreSQL `NOTIFY` on PostgreSQL, where a `LISTEN` task in every
//! server pokes its own feeds, so a result written through one server reaches the subscribers of
//! all. Each result carries its run's sequence number (`results.seq`, assigned in the write
//! transaction), which orders the fan-out and lets a client resume with `Last-Event-ID`.
//!
//! The store does not know this module exists; the API layer calls [`Events::changed`].

mod feed;
mod progress;
pub mod sse;
mod stream;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;

use crate::server::store::{RunChange, Store, StoreResult};
pub(crate) use feed::Msg;
pub use progress::MAX_RUNS;

/// Messages a run's buffer holds per subscriber. A message is one read of the run's new results
/// (up to [`feed::PAGE`] rows, usually one ingested batch), so this is at least 64 batches or
/// 64,000 results: an ordinary CI push never lags.
pub const BUFFER: usize = 64;

/// Comment lines every 15 s of silence keep proxies from closing an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The events hub. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").field("subscribers", &self.subscriber_count()).finish()
    }
}

struct Inner {
    store: Store,
    feeds: Mutex<HashMap<i64, FeedHandle>>,
    /// PostgreSQL: changes travel through NOTIFY, to this process's listener like every other's.
    via_notify: bool,
    /// Shutdown: every stream ends with a final comment once this turns true.
    closing: watch::Sender<bool>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

/// A run's feed in this process.
struct FeedHandle {
    tx: broadcast::Sender<Msg>,
    poke: Arc<Notify>,
    /// Subscribers that want `progress` (aggregates) as well as results.
    progress_subs: Arc<AtomicUsize>,
    /// The last sequence number the feed has broadcast.
    sent: Arc<AtomicI64>,
    task: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = self.listener.get_mut().ok().and_then(Option::take) {
            t.abort();
        }
        if let Ok(feeds) = self.feeds.get_mut() {
            for (_, f) in feeds.drain() {
                f.task.abort();
            }
        }
    }
}

impl Events {
    /// The hub over `store`. On PostgreSQL this listens for other servers' changes before it
    /// answers, so no subscriber can start before the listener hears.
    pub async fn start(store: Store) -> StoreResult<Events> {
        let changes = store.listen_run_changes().await?;
        let inner = Arc::new(Inner {
            store,
            feeds: Mutex::new(HashMap::new()),
            via_notify: changes.is_some(),
            closing: watch::channel(false).0,
            listener: Mutex::new(None),
        });
        if let Some(changes) = changes {
            let task = tokio::spawn(listen(Arc::downgrade(&inner), changes));
            *inner.listener.lock().expect("listener slot") = Some(task);
        }
        Ok(Events { inner })
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Run `run_id` changed and the change has committed (results written, finished, deleted):
    /// its subscribers, on every server, read what is new. Not async on purpose: called right
    /// after the commit returns, it cannot be lost to a request cancelled in between. A failure
    /// to signal is logged — the write stands, and subscribers catch up at the run's next change.
    pub fn changed(&self, run_id: i64) {
        if self.inner.via_notify {
            let store = self.inner.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.notify_run_changed(run_id).await {
                    tracing::warn!("cannot signal that run {run_id} changed: {e}");
                }
            });
        } else {
            self.inner.poke(run_id);
        }
    }

    /// Subscribe to a run's feed (starting it if this is its first subscriber here). Subscribe
    /// before reading where the run stands, so nothing written in between is missed.
    pub(crate) fn subscribe(&self, run_id: i64, wants_progress: bool) -> Subscription {
        let mut feeds = self.inner.feeds.lock().expect("feeds");
        let (feed, rx) = match feeds.entry(run_id) {
            Entry::Occupied(e) => {
                let rx = e.get().tx.subscribe();
                (e.into_mut(), rx)
            }
            Entry::Vacant(e) => {
                let (feed, rx) = feed::start(self.inner.store.clone(), run_id);
                (e.insert(feed), rx)
            }
        };
        if wants_progress {
            feed.progress_subs.fetch_add(1, Ordering::SeqCst);
        }
        Subscription { rx: Some(rx), run_id, wants_progress, hub: Arc::downgrade(&self.inner) }
    }

    /// Subscribers of every run in this process (each stream counts once per run it follows).
    pub fn subscriber_count(&self) -> usize {
        self.inner.feeds.lock().expect("feeds").values().map(|f| f.tx.receiver_count()).sum()
    }

    /// The last sequence number this process's feed of `run_id` has broadcast, if it has one.
    pub fn position(&self, run_id: i64) -> Option<i64> {
        self.inner.feeds.lock().expect("feeds").get(&run_id).map(|f| f.sent.load(Ordering::SeqCst))
    }

    /// Runs with a feed in this process (a feed stops with its last subscriber).
    pub fn feed_count(&self) -> usize {
        self.inner.feeds.lock().expect("feeds").len()
    }

    /// The shutdown hook: every open stream ends now with a final `: server shutting down`
    /// comment (clients reconnect elsewhere with `Last-Event-ID`), and new streams end at once.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Resolves once [`Events::close`] has been called (at once if it has).
    pub(crate) fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.closing.subscribe();
        async move {
            // The sender lives as long as the hub; if it is gone, nothing can close any more.
            if rx.wait_for(|&c| c).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Inner {
    fn poke(&self, run_id: i64) {
        if let Some(f) = self.feeds.lock().expect("feeds").get(&run_id) {
            f.poke.notify_one();
        }
    }

    fn poke_all(&self) {
        for f in self.feeds.lock().expect("feeds").values() {
            f.poke.notify_one();
        }
    }

    /// A subscriber left: its slot is freed, and the feed stops with its last subscriber.
    fn leave(&self, run_id: i64, rx: broadcast::Receiver<Msg>, wants_progress: bool) {
        let mut feeds = self.feeds.lock().expect("feeds");
        drop(rx);
        let Some(feed) = feeds.get(&run_id) else { return };
        if wants_progress {
            feed.progress_subs.fetch_sub(1, Ordering::SeqCst);
        }
        if feed.tx.receiver_count() == 0 {
            if let Some(f) = feeds.remove(&run_id) {
                f.task.abort();
            }
        }
    }
}

/// One subscriber's place in a run's feed; leaving (drop) frees it.
pub(crate) struct Subscription {
    rx: Option<broadcast::Receiver<Msg>>,
    run_id: i64,
    wants_progress: bool,
    hub: Weak<Inner>,
}

impl Subscription {
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    pub async fn recv(&mut self) -> Result<Msg, broadcast::error::RecvError> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let (Some(rx), Some(hub)) = (self.rx.take(), self.hub.upgrade()) {
            hub.leave(self.run_id, rx, self.wants_progress);
        }
    }
}

/// PostgreSQL: hear every server's changes and poke this process's feeds. A dropped listening
/// connection may have missed some, so every feed re-reads once it is back.
async fn listen(hub: Weak<Inner>, mut changes: crate::server::store::RunChanges) {
    loop {
        let heard = changes.recv().await;
        let Some(hub) = hub.upgrade() else { return };
        match heard {
            Ok(RunChange::Run(id)) => hub.poke(id),
            Ok(RunChange::Lost) => {
                tracing::warn!("event listener lost its PostgreSQL connection; reconnecting");
                hub.poke_all();
            }
            Err(e) => {
                tracing::warn!("event listener: {e}; retrying in 1 s");
                drop(hub);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

pub(crate) use progress::progress_events;
pub(crate) use stream::run_events;
