//! Download links for a table's export: one per format, to an API route with the page's
//! filters. Marked `download` and `rel="external"` so the router leaves them to the browser.

use leptos::prelude::*;

/// Links `{base}?format={f}&{query}` for each `(format, label)`.
#[component]
pub fn ExportLinks(
    #[prop(into)] base: String,
    #[prop(into)] query: Signal<String>,
    formats: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <nav class="exports" aria-label="Export">
            <span class="muted">"Export"</span>
            {formats.iter().map(|(f, label)| {
                let base = base.clone();
                let href = move || {
                    let q = query.get();
                    if q.is_empty() { format!("{base}?format={f}") } else { format!("{base}?format={f}&{q}") }
                };
                view! { <a href=href download="" rel="external" data-testid=format!("export-{f}")>{*label}</a> }
            }).collect_view()}
        </nav>
    }
}
