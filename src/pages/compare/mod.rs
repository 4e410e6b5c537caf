//! `/compare`: run b against baseline run a (`?a=&b=`), or up to eight runs (`?runs=1,2,3`),
//! with every view in the URL: `flag` (a flag or cost flag filter), `sort`, `page`, `epsilon`
//! and `open` (the case whose word diff is expanded). `/runs` submits `pick=` ids, which this
//! page orders oldest first, the oldest the baseline. The URL is parsed by
//! [`CompareQuery`](crate::model::compare_query::CompareQuery), as the API's is: a value the
//! API answers 422 for is shown here as the reason the page cannot compare.

mod cases;
mod diff;
mod nway;
mod pairwise;
pub mod server;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::components::respond_status;
use crate::model::app_error::AppError;
use crate::model::compare_query::{CompareQuery, CompareUrl};
use crate::model::Run;

/// Rows per page of the per-case table and of the N-way matrix.
pub const COMPARE_PAGE: usize = 100;

/// Which view the URL asks for.
#[derive(Clone, Debug, PartialEq)]
enum Mode {
    Pairwise,
    NWay,
    Choose,
    Bad(AppError),
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let url = use_query_map();
    let parsed = Memo::new(move |_| {
        url.with(|q| CompareQuery::parse(CompareUrl::Page, q.into_iter().map(|(k, v)| (k.as_ref(), v))))
    });
    // The views read the query; only a change of view re-creates one (a new `open` or page
    // keeps the view and its data).
    let query = Memo::new(move |_| parsed.get().unwrap_or_default());
    let mode = Memo::new(move |_| match parsed.get() {
        Err(e) => Mode::Bad(e.into()),
        Ok(q) if q.is_nway() => Mode::NWay,
        Ok(q) if q.pair().is_some() || q.channels.is_some() => Mode::Pairwise,
        Ok(_) => Mode::Choose,
    });
    view! {
        <Title text="Compare · Assay"/>
        {move || match mode.get() {
            Mode::NWay => view! { <nway::NWay query=query/> }.into_any(),
            Mode::Pairwise => view! { <pairwise::Pairwise query=query/> }.into_any(),
            Mode::Choose => view! { <ChooseRuns/> }.into_any(),
            Mode::Bad(e) => view! { <Problem error=e/> }.into_any(),
        }}
    }
}

#[component]
fn ChooseRuns() -> impl IntoView {
    view! {
        <h1>"Compare runs"</h1>
        <p class="muted">"Tick two runs on the "<a href="/runs">"run list"</a>", use a run's “vs previous” link, a bench's “channel vs channel” link, or name them here."</p>
        <Form method="GET" action="/compare" attr:class="filters" attr:aria-label="Choose runs">
            <label>"Baseline run (a)" <input name="a" inputmode="numeric" required/></label>
            <label>"Run (b)" <input name="b" inputmode="numeric" required/></label>
            <button type="submit">"Compare"</button>
        </Form>
        <Form method="GET" action="/compare" attr:class="filters" attr:aria-label="Compare several runs">
            <label>"Several runs, baseline first" <input name="runs" placeholder="12, 15, 18"/></label>
            <button type="submit">"Compare"</button>
        </Form>
    }
}

/// Why the page cannot compare: an unknown run (404) or a value of the URL it cannot use (422,
/// naming the parameter, as the API answers it).
#[component]
fn Problem(error: AppError) -> impl IntoView {
    let missing = matches!(error, AppError::NotFound(_));
    respond_status(if missing { 404 } else { 422 });
    view! {
        <h1>{if missing { "Run not found" } else { "Cannot compare" }}</h1>
        <p class="error" role="alert" data-testid="compare-problem">{error.message()}</p>
        <p><a href="/compare">"Choose runs"</a>" · "<a href="/runs">"All runs"</a></p>
    }
}

/// A comparison's data as a view: the body, or what went wrong (unknown runs answer 404).
fn outcome_view<T>(r: Result<T, AppError>, body: impl FnOnce(T) -> AnyView) -> AnyView {
    match r {
        Ok(data) => body(data),
        Err(e @ (AppError::NotFound(_) | AppError::Invalid { .. })) => view! { <Problem error=e/> }.into_any(),
        Err(e) => view! { <crate::components::ErrorView error=e/> }.into_any(),
    }
}

fn run_label(r: &Run) -> String {
    format!("#{} · {} · {} · wf v{} · judge v{}", r.id, r.bench_name, r.channel, r.workflow_version_number, r.judge_version_number)
}

/// The class of a change: up, down, or within the tolerance.
fn delta_class(d: Option<f64>, eps: f64) -> &'static str {
    match d {
        Some(x) if x > eps => "delta up",
        Some(x) if x < -eps => "delta down",
        _ => "delta",
    }
}
