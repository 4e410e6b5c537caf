//! A run's status breakdown: a bar with one segment per status and missing cases last, and the
//! same counts as a legend.

use leptos::prelude::*;

use crate::domain::ResultStatus;
use crate::model::Run;

/// Segments of the status-breakdown bar, in a fixed order, with missing cases last.
pub fn breakdown(run: &Run) -> Vec<(&'static str, i64)> {
    let mut out: Vec<(&'static str, i64)> = ResultStatus::ALL
        .iter()
        .map(|s| (s.as_str(), run.status_breakdown.get(s.as_str()).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    if run.missing > 0 {
        out.push(("missing", run.missing));
    }
    out
}

/// The status-breakdown bar of a run: one segment per status, missing cases last.
#[component]
pub fn StatusBar(run: Run) -> impl IntoView {
    let parts = breakdown(&run);
    let total: i64 = parts.iter().map(|(_, n)| n).sum::<i64>().max(1);
    let summary = parts.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ");
    let segments = parts
        .into_iter()
        .map(|(s, n)| {
            let pct = n as f64 * 100.0 / total as f64;
            view! { <span class=format!("seg st-{s}") style=format!("width:{pct:.2}%") title=format!("{s}: {n}")></span> }
        })
        .collect_view();
    view! { <div class="bar" role="img" aria-label=summary.clone() title=summary>{segments}</div> }
}

/// The status breakdown as a legend: each status with its count.
#[component]
pub fn StatusLegend(run: Run) -> impl IntoView {
    view! {
        <ul class="legend" data-testid="status-breakdown">{breakdown(&run).into_iter().map(|(s, n)| view! {
            <li><span class=format!("swatch seg st-{s}")></span>{format!("{s} {n}")}</li>
        }).collect_view()}</ul>
    }
}
