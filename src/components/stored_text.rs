//! Stored JSON (inputs, expected outputs, configs) shown as text: a JSON string as its text,
//! anything else indented — always as text, never as markup.

use leptos::prelude::*;

use crate::domain::format;

#[component]
pub fn StoredText(
    value: Option<serde_json::Value>,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    match value {
        Some(v) => view! { <pre class=class data-testid=testid>{format::json_text(&v)}</pre> }.into_any(),
        None => view! { <p class="muted">"—"</p> }.into_any(),
    }
}
