//! Small pieces every table uses: a score cell on the run's scale, status and verdict badges,
//! the "sampled" tag and a link to a script version.

use leptos::prelude::*;

use crate::domain::format;
use crate::model::query::version_href;

/// A score on its scale in a numeric cell.
#[component]
pub fn ScoreCell(score: Option<f64>, score_max: f64) -> impl IntoView {
    view! { <td class="num">{format::score(score, score_max)}</td> }
}

/// A run's lifecycle status (`completed`, `running`…).
#[component]
pub fn RunStatusBadge(#[prop(into)] status: String, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    view! { <span class=format!("badge run-{status}") data-testid=testid>{status.clone()}</span> }
}

/// A result's execution status (`ok`, `workflow_failed`…).
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class=format!("st st-{status}")>{status.clone()}</span> }
}

/// A verdict; "—" for none.
#[component]
pub fn VerdictBadge(verdict: Option<String>, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    let v = verdict.unwrap_or_else(|| "—".into());
    view! { <span class=format!("verdict v-{v}") data-testid=testid>{v.clone()}</span> }
}

/// Marks a case whose verdict flips where its workflow, judge and inputs did not.
#[component]
pub fn FlakyBadge() -> impl IntoView {
    view! {
        <span class="badge flaky" data-testid="flaky-badge"
            title="flaky: its verdict changed across epochs or recent runs with the same workflow version, judge version and inputs">"flaky"</span>
    }
}

/// Marks a run that ran a sample of its bench.
#[component]
pub fn SampledTag(sampled: bool) -> impl IntoView {
    sampled.then(|| view! { <span class="tag" title="a random sample of the bench">"sampled"</span> })
}

/// A link to a script version, labelled `name v3` (or `v3` with `short`).
#[component]
pub fn VersionLink(
    kind: &'static str,
    #[prop(into)] name: String,
    number: i64,
    #[prop(optional)] short: bool,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let text = if short { format!("v{number}") } else { format!("{name} v{number}") };
    let title = format!("{kind} {name} v{number}");
    view! { <a href=version_href(kind, &name, number) title=title data-testid=testid>{text}</a> }
}
