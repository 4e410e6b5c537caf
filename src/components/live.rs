//! The live pages' one stream: while a page shows a run that can still change it keeps one
//! `EventSource` open on `GET /api/events?runs=…` and hands each `progress` event to the page
//! — no polling. The browser sends the session cookie with it (same origin), so the auth gate
//! admits it like any read. The server renders the state as of the request, so without
//! JavaScript a reload shows the truth; the stream exists only in the hydrated app.

use leptos::prelude::*;

use crate::model::live::Progress;

/// A run that can still change (and so is worth a stream).
pub fn is_open(status: &str) -> bool {
    matches!(status, "pending" | "running")
}

/// Keep one progress stream of `ids` open while `open` holds, handing each event to
/// `on_progress`. Answers whether the stream is connected (always false on the server).
pub fn use_progress_stream(
    ids: Vec<i64>,
    open: Signal<bool>,
    on_progress: impl Fn(Progress) + Clone + 'static,
) -> ReadSignal<bool> {
    let (connected, set_connected) = signal(false);
    #[cfg(feature = "hydrate")]
    {
        let url = format!("/api/events?runs={}", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        Effect::new(move |_| {
            if ids.is_empty() || !open.get() {
                set_connected.set(false);
                return;
            }
            if let Some(stream) = browser::Stream::open(&url, set_connected, on_progress.clone()) {
                // Closed when the page goes away or `open` turns false (the effect re-runs).
                let stream = send_wrapper::SendWrapper::new(stream);
                on_cleanup(move || drop(stream));
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ids, open, on_progress, set_connected);
    connected
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use crate::model::live::Progress;

    /// An open `EventSource` and the listeners it calls; closing it is dropping it.
    pub struct Stream {
        source: web_sys::EventSource,
        _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Stream {
        pub fn open(url: &str, connected: WriteSignal<bool>, on_progress: impl Fn(Progress) + 'static) -> Option<Stream> {
            let source = web_sys::EventSource::new(url).ok()?;
            let listeners: Vec<(&str, Closure<dyn FnMut(web_sys::Event)>)> = vec![
                ("open", Closure::new(move |_| connected.set(true))),
                // The browser reconnects by itself; until then the page is not live.
                ("error", Closure::new(move |_| connected.set(false))),
                (
                    "progress",
                    Closure::new(move |e: web_sys::Event| {
                        let data = e.dyn_ref::<web_sys::MessageEvent>().and_then(|m| m.data().as_string());
                        if let Some(p) = data.and_then(|d| serde_json::from_str::<Progress>(&d).ok()) {
                            on_progress(p);
                        }
                    }),
                ),
            ];
            let mut kept = Vec::with_capacity(listeners.len());
            for (name, l) in listeners {
                source.add_event_listener_with_callback(name, l.as_ref().unchecked_ref()).ok()?;
                kept.push(l);
            }
            Some(Stream { source, _listeners: kept })
        }
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }
}

/// The "live" mark of a page whose stream is connected.
#[component]
pub fn LiveMark(connected: ReadSignal<bool>, testid: &'static str) -> impl IntoView {
    move || {
        connected.get().then(|| {
            view! { <span class="live-mark" data-testid=testid title="updating as results arrive">"live"</span> }
        })
    }
}
