//! The page shell, the navigation and the routes of the dashboard.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::components::{ErrorView, LatestRuns, NotFoundView};
use crate::domain::format;
use crate::model::app_error::AppError;
use crate::model::BenchOverview;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.ico"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: the flag tells tests (and curious users) that the page
    // has hydrated.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/assay.css"/>
        <Title text="Assay"/>
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Assay"</A>
                <nav aria-label="Main">
                    <A href="/">"Benches"</A>
                    <A href="/runs">"Runs"</A>
                    <A href="/compare">"Compare"</A>
                </nav>
                <crate::pages::login::AccountMenu/>
            </header>
            <main data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=StaticSegment("runs") view=crate::pages::runs::RunsPage/>
                    <Route path=StaticSegment("login") view=crate::pages::login::LoginPage/>
                    // Async: an unknown run must answer a real 404, so headers wait for the data.
                    <Route path=(StaticSegment("runs"), ParamSegment("id")) view=crate::pages::run::RunPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("compare") view=crate::pages::compare::ComparePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("benches"), ParamSegment("bench")) view=crate::pages::bench::BenchPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runs"), ParamSegment("id"), StaticSegment("cases"), ParamSegment("case_id")) view=crate::pages::case::CasePage ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("scripts"), ParamSegment("kind"), ParamSegment("name"), StaticSegment("v"), ParamSegment("number"))
                        view=crate::pages::script::ScriptPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// A bench on the home page: its overview and a sparkline of its recent mean scores.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HomeBench {
    pub overview: BenchOverview,
    /// Mean scores of the latest completed full runs (all channels), oldest first.
    pub trend: Vec<f64>,
    pub trend_svg: String,
}

/// Benches with their case count, latest run per channel and trend, for the home page.
#[server]
pub async fn list_benches() -> Result<Vec<HomeBench>, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let mut out = Vec::new();
    let mut trends = store.bench_trends(30).await?;
    for overview in store.bench_overviews(None).await? {
        let points = trends.remove(&overview.bench.id).unwrap_or_default();
        let trend: Vec<f64> = points.iter().filter(|p| !p.sampled).filter_map(|p| p.mean_score).collect();
        let trend_svg = crate::server::charts::sparkline(
            &format!("Mean score of the latest completed runs of {}", overview.bench.name),
            &trend,
            overview.bench.score_max,
            (140, 30),
        );
        out.push(HomeBench { overview, trend, trend_svg });
    }
    Ok(out)
}

#[component]
fn HomePage() -> impl IntoView {
    let benches = Resource::new(|| (), |_| list_benches());
    view! {
        <Title text="Benches · Assay"/>
        <h1>"Benches"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || benches.get().map(|r| match r {
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <div class="empty" data-testid="empty-state">
                        <p>"No benches yet. Push a run over the JSON API (see the README), or fill a demo workspace with "
                        <code>"assay demo"</code>"."</p>
                    </div>
                }.into_any(),
                Ok(list) => view! {
                    <table class="grid" data-testid="bench-table">
                        <thead><tr><th>"Bench"</th><th class="num">"Cases"</th><th class="num">"Runs"</th><th>"Trend"</th><th>"Latest run per channel"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|b| view! { <BenchRow b=b/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn BenchRow(b: HomeBench) -> impl IntoView {
    let HomeBench { overview: b, trend, trend_svg } = b;
    let sm = b.bench.score_max;
    // Production's latest completed run against each other channel's: one click to the diff.
    let done: Vec<_> = b.latest.iter().filter(|l| l.status == "completed").collect();
    let compare: Vec<(String, String)> = done
        .iter()
        .find(|l| l.channel == "production")
        .map(|p| {
            done.iter()
                .filter(|l| l.channel != "production")
                .map(|l| (format!("production vs {}", l.channel), format!("/compare?a={}&b={}", p.run_id, l.run_id)))
                .collect()
        })
        .unwrap_or_default();
    let trend_label = trend.iter().map(|v| format::score(Some(*v), sm)).collect::<Vec<_>>().join(", ");
    let bench_href = format!("/benches/{}", crate::model::query::urlencode(&b.bench.name));
    view! {
        <tr>
            <td><a class="name" href=bench_href>{b.bench.name.clone()}</a>
                <span class="muted desc">{b.bench.description.clone().unwrap_or_default()}</span></td>
            <td class="num">{b.bench.case_count}</td>
            <td class="num">{b.run_count}</td>
            <td><div class="chart-box spark" data-testid="bench-trend" title=format!("mean scores, oldest first: {trend_label}") inner_html=trend_svg></div></td>
            <td><LatestRuns latest=b.latest.clone() score_max=sm/>
                {(!compare.is_empty()).then(|| view! {
                    <nav class="home-compare" aria-label=format!("Compare channels of {}", b.bench.name)>
                        {compare.into_iter().map(|(label, href)| view! { <a href=href>{label}</a> }).collect_view()}
                    </nav>
                })}</td>
        </tr>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! { <NotFoundView title="Not found" message="There is nothing at this address." href="/" link="Back to the benches"/> }
}
