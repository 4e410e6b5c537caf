//! The pager under a table: a link back, what the page holds, a link on. Keyset lists
//! (runs, results, cases) link to the first page and the next; numbered ones (compare tables,
//! traces) to their neighbours.

use leptos::prelude::*;

/// One link of a pager.
#[derive(Clone, Debug, PartialEq)]
pub struct PageLink {
    pub href: String,
    pub text: &'static str,
    pub testid: Option<&'static str>,
}

impl PageLink {
    pub fn new(href: impl Into<String>, text: &'static str) -> Self {
        PageLink { href: href.into(), text, testid: None }
    }

    pub fn testid(self, testid: &'static str) -> Self {
        PageLink { testid: Some(testid), ..self }
    }
}

#[component]
pub fn Pager(
    /// The navigation's accessible name ("Case pages", "Trace pages"…).
    label: &'static str,
    #[prop(optional_no_strip)] prev: Option<PageLink>,
    #[prop(optional_no_strip)] next: Option<PageLink>,
    /// What this page holds ("page 2 of 3").
    #[prop(optional_no_strip)]
    info: Option<String>,
    #[prop(optional)] info_testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label=label>
            {prev.map(|l| view! { <a href=l.href data-testid=l.testid>{l.text}</a> })}
            {info.map(|i| view! { <span class="muted" data-testid=info_testid>{i}</span> })}
            {next.map(|l| view! { <a href=l.href rel="next" data-testid=l.testid>{l.text}</a> })}
        </nav>
    }
}
