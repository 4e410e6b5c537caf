//! Graceful shutdown on SIGTERM or Ctrl-C: stop accepting connections, let requests in flight
//! finish (a result batch commits and is acknowledged) for a bounded grace period, end event
//! streams with a final comment, then return so the process exits 0.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::{Extension, Router};
use futures::{Stream, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The default grace period: long enough for a 10,000-result batch to commit.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Shared by the server and every long answer: has shutdown begun? Handlers reach it as an
/// `Extension<Shutdown>` (absent in tests that build the router alone).
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown { tx: watch::channel(false).0 }
    }
}

impl Shutdown {
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once shutdown has begun (at once if it already has).
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            // An error means the sender is gone: nobody can trigger any more, so never resolve.
            if rx.wait_for(|&down| down).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// An event stream that ends when shutdown begins, with `last` (e.g. an SSE comment such as
/// `: server shutting down`) as its final item, so the connection can close inside the grace
/// period and clients know to reconnect elsewhere.
pub fn until_shutdown<S>(stream: S, shutdown: &Shutdown, last: S::Item) -> impl Stream<Item = S::Item> + Send
where
    S: Stream + Send,
    S::Item: Send,
{
    let ended = shutdown.triggered();
    stream.take_until(ended).chain(futures::stream::once(async move { last }))
}

/// Resolves on SIGTERM (what orchestrators and systemd send) or Ctrl-C / SIGINT.
pub async fn signal() -> &'static str {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                name = ctrl_c => name,
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await
}

/// Serve `app` until a signal, then shut down gracefully within `grace`. Requests still running
/// after `grace` are dropped (their transactions roll back, so nothing is written in part).
/// `on_shutdown` runs as shutdown begins (the live events hub ends its streams there).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    grace: Duration,
    on_shutdown: impl FnOnce() + Send + 'static,
) -> std::io::Result<()> {
    let shutdown = Shutdown::default();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let name = signal().await;
        tracing::info!(
            "{name}: shutting down: no new connections, requests in flight have {} s to finish",
            grace.as_secs_f64()
        );
        on_signal.trigger();
        on_shutdown();
    });
    let app = app.layer(Extension(shutdown.clone()));
    // Peer addresses count failed sign-ins.
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.triggered());
    let deadline = async {
        shutdown.triggered().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        done = server => {
            tracing::info!("shut down cleanly");
            done
        }
        _ = deadline => {
            tracing::warn!("requests still running after {} s: closing them (their writes roll back)", grace.as_secs_f64());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_event_stream_ends_with_its_final_item_when_shutdown_begins() {
        let shutdown = Shutdown::default();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<&str>();
        let events = tokio_stream_from(rx);
        let mut s = Box::pin(until_shutdown(events, &shutdown, ": server shutting down"));
        tx.send("event: result").unwrap();
        assert_eq!(s.next().await, Some("event: result"));
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        tx.send("never sent: shutdown came first").unwrap_or(());
        let rest: Vec<&str> = s.collect().await;
        assert_eq!(rest, vec![": server shutting down"], "the stream ends at once, with its final item");
        // Subscribing after the trigger resolves at once.
        tokio::time::timeout(Duration::from_secs(1), shutdown.triggered()).await.unwrap();
    }

    fn tokio_stream_from<T: Send + 'static>(mut rx: tokio::sync::mpsc::UnboundedReceiver<T>) -> impl Stream<Item = T> + Send {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
