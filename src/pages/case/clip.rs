//! A text of the case page shown as text, with "show all" when the server clipped it: the
//! whole text is fetched on demand and replaces the clip in place.

use leptos::prelude::*;

use super::server::{get_full_text, Clip};

/// A text shown as text, with "show all" when the server cut it.
#[component]
pub fn ClipText(clip: Clip, keys: (i64, String, i64), testid: &'static str) -> impl IntoView {
    let (text, set_text) = signal(clip.text.clone());
    let (cut, set_cut) = signal(clip.cut);
    let (failed, set_failed) = signal(None::<String>);
    let what = clip.what.clone();
    let load = Action::new(move |_: &()| {
        let (run, case, epoch) = keys.clone();
        let what = what.clone();
        async move { get_full_text(run, case, epoch, what).await }
    });
    Effect::new(move |_| {
        if let Some(r) = load.value().get() {
            match r {
                Ok(t) => {
                    set_text.set(t);
                    set_cut.set(false);
                }
                Err(e) => set_failed.set(Some(e.to_string())),
            }
        }
    });
    view! {
        <div class="clip">
            <pre data-testid=testid>{move || text.get()}{move || cut.get().then_some("…")}</pre>
            {move || cut.get().then(|| view! {
                <button type="button" class="link" data-testid="show-all" on:click=move |_| { load.dispatch(()); }
                    disabled=move || load.pending().get()>
                    {move || if load.pending().get() { "Loading…" } else { "Show all" }}
                </button>
            })}
            {move || failed.get().map(|e| view! { <span class="error">{e}</span> })}
        </div>
    }
}
