//! `/runs/{id}`: one run's header, stats and results, with the results' filters, sort and page
//! in the query string. A running run's page follows it live (`live`).

mod live;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::{ErrorView, ExportLinks, NotFoundView, PageLink, Pager, ResultTextCell, RunStatusBadge, ScoreCell, StatusBadge, StatusBar, StatusLegend, VerdictBadge, VersionLink};
use live::{LiveProgress, StatsCards};
use crate::domain::format;
use crate::model::app_error::AppError;
use crate::model::query::{urlencode, ResultsQuery};
use crate::model::{ResultPage, ResultSummary, Run, RunStats};

/// A run with what its page shows around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub run: Run,
    pub stats: RunStats,
    /// The run before this one on the same bench and channel.
    pub previous_on_channel: Option<i64>,
    /// The latest run of each other channel of the bench: (channel, run id).
    pub other_channels: Vec<(String, i64)>,
    pub now_ms: i64,
}

#[server]
pub async fn get_run_view(id: i64) -> Result<RunView, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let run = store.get_run(id).await?;
    let stats = store.run_stats(id).await?;
    let previous_on_channel = store.previous_on_channel(id).await?;
    let bench = store.bench_overviews(Some(&run.bench_name)).await?;
    let other_channels = bench
        .first()
        .map(|b| b.latest.iter().filter(|l| l.channel != run.channel).map(|l| (l.channel.clone(), l.run_id)).collect())
        .unwrap_or_default();
    Ok(RunView { run, stats, previous_on_channel, other_channels, now_ms: crate::server::time::now_ms() })
}

/// Score histogram buckets on the run page.
pub const HISTOGRAM_BUCKETS: i64 = crate::model::views::HISTOGRAM_BINS;

/// The run page's charts: dimension means and the score distribution, with their values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunCharts {
    pub dimensions_svg: Option<String>,
    pub histogram_svg: Option<String>,
    pub histogram: Vec<u64>,
}

#[server]
pub async fn get_run_charts(id: i64) -> Result<RunCharts, AppError> {
    use crate::server::charts;
    let store = expect_context::<crate::server::store::Store>();
    let run = store.get_run(id).await?;
    let finished = !matches!(run.status.as_str(), "running" | "pending");
    let sm = run.score_max;
    let dims: Vec<(String, f64)> = run.dimension_scores.clone().into_iter().collect();
    let dimensions_svg = if dims.is_empty() {
        None
    } else {
        let h = 30 + 26 * dims.len() as u32;
        Some(
            store.figure(id, "dims", finished, || async {
                Ok::<_, AppError>(charts::bars("Mean score per dimension", &dims, (0.0, sm), (520, h)))
            })
            .await?,
        )
    };
    let histogram = store.run_histogram(id).await?;
    let histogram_svg = if histogram.iter().all(|n| *n == 0) {
        None
    } else {
        let hist = histogram.clone();
        Some(
            store.figure(id, "hist", finished, || async move {
                Ok::<_, AppError>(charts::histogram("Distribution of headline scores", &hist, sm, (520, 200)))
            })
            .await?,
        )
    };
    Ok(RunCharts { dimensions_svg, histogram_svg, histogram })
}

// JSON in: form encoding drops a filter whose fields are all empty, and the server then
// refuses the call ("missing field `filter`") — what a live refresh of an unfiltered table sends.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn list_run_results(id: i64, filter: ResultsQuery) -> Result<ResultPage, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let q = ResultsQuery { limit: Some(100), ..filter };
    Ok(store.list_results(id, &q).await?)
}

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let view_res = Resource::new(move || id.get(), |id| async move {
        match id {
            Some(id) => get_run_view(id).await,
            None => Err(AppError::NotFound("a run id is a number".into())),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading run…"</p> }>
            {move || view_res.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! { <NotFoundView title="Run not found" message="There is no such run." href="/runs" link="All runs"/> }.into_any(),
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                // A running run settles into the finished one by fetching its view again.
                Ok(v) => view! { <RunBody v=v on_finished=Callback::new(move |_| view_res.refetch())/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn RunBody(v: RunView, on_finished: Callback<()>) -> impl IntoView {
    let RunView { run, stats, previous_on_channel, other_channels, now_ms } = v;
    let dims: Vec<(String, f64)> = stats.dimension_scores.clone().into_iter().collect();
    let live = live::use_live_run(run.clone(), stats, on_finished);
    let duration = move || live.run.with(|r| super::runs::run_duration(r, now_ms));
    let meta: Vec<(String, String)> = run
        .metadata
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), format::json_inline(v))).collect())
        .unwrap_or_default();
    let sm = run.score_max;
    let id = run.id;
    let stale = super::runs::is_stale(&run, now_ms);
    view! {
        <Title text=format!("Run #{} · {} · Assay", run.id, run.bench_name)/>
        <header class="run-head" data-testid="run-header">
            <h1>{format!("Run #{}", run.id)}" "<span class="muted"><a href=format!("/benches/{}", urlencode(&run.bench_name))>{run.bench_name.clone()}</a>{format!(" · {}", run.channel)}</span></h1>
            <div class="facts">
                {move || live.run.with(|r| view! { <RunStatusBadge status=r.status.clone() testid="run-status"/> })}
                {stale.then(|| view! { <span class="badge stale">"stale"</span> })}
                <span>"workflow "<VersionLink kind="workflow" name=run.workflow_script_name.clone() number=run.workflow_version_number/></span>
                <span>"judge "<VersionLink kind="judge" name=run.judge_script_name.clone() number=run.judge_version_number testid="judge-link"/></span>
                <span>{format!("{} by {}", format::short_ts(&run.triggered_at), run.triggered_by.clone().unwrap_or_else(|| "—".into()))}</span>
                <span>{duration}</span>
                {run.model.clone().map(|m| view! { <span>{format!("model {m}")}{run.temperature.map(|t| format!(" · t={t}"))}</span> })}
                <span>{format!("mode {}", run.mode)}</span>
            </div>
            {run.notes.clone().map(|n| view! { <p class="notes" data-testid="run-notes">{n}</p> })}
            {crate::domain::provenance::origin(&run).map(|o| view! { <p class="provenance" data-testid="run-provenance">{o}</p> })}
            {run.error.clone().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {(!meta.is_empty()).then(|| view! {
                <dl class="meta">{meta.into_iter().map(|(k, v)| view! {
                    <div><dt>{k.clone()}</dt><dd><a href=format!("/runs?meta.{}={}", urlencode(&k), urlencode(&v))>{v.clone()}</a></dd></div>
                }).collect_view()}</dl>
            })}
            <nav class="compare-links" aria-label="Compare">
                {previous_on_channel.map(|p| view! { <a href=format!("/compare?a={p}&b={id}")>{format!("vs previous on {} (#{p})", run.channel)}</a> })}
                {other_channels.into_iter().map(|(c, r)| view! { <a href=format!("/compare?a={r}&b={id}")>{format!("vs latest on {c} (#{r})")}</a> }).collect_view()}
            </nav>
        </header>
        <LiveProgress live=live/>
        <div class="breakdown-row">{move || {
            let r = live.run.get();
            view! { <StatusBar run=r.clone()/><StatusLegend run=r/> }
        }}</div>
        <StatsCards live=live/>
        <RunChartsSection id=id score_max=sm dims=dims/>
        <ResultsSection id=id score_max=sm refresh=live.results_changed/>
    }
}

#[component]
fn RunChartsSection(id: i64, score_max: f64, dims: Vec<(String, f64)>) -> impl IntoView {
    let charts = Resource::new(move || id, get_run_charts);
    let sm = score_max;
    view! {
        <Transition fallback=|| ()>
            {move || charts.get().map(|r| match r {
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(c) => {
                    let dims = dims.clone();
                    let width = sm / c.histogram.len().max(1) as f64;
                    view! {
                        <div class="two-col charts">
                            {c.dimensions_svg.clone().map(|svg| view! {
                                <figure class="chart-box panel" aria-label="Dimension scores" data-testid="dimension-chart">
                                    <figcaption>"Dimensions"</figcaption>
                                    <div inner_html=svg></div>
                                    <details class="chart-values"><summary>"values"</summary>
                                        <table class="grid compact" data-testid="dimension-table">
                                            <tbody>{dims.into_iter().map(|(d, s)| view! {
                                                <tr><td>{d}</td><td class="num">{format::score(Some(s), sm)}</td></tr>
                                            }).collect_view()}</tbody>
                                        </table>
                                    </details>
                                </figure>
                            })}
                            {c.histogram_svg.clone().map(|svg| view! {
                                <figure class="chart-box panel" aria-label="Score distribution" data-testid="score-histogram">
                                    <figcaption>"Score distribution"</figcaption>
                                    <div inner_html=svg></div>
                                    <details class="chart-values"><summary>"values"</summary>
                                        <table class="grid compact">
                                            <thead><tr><th>"Scores"</th><th class="num">"Results"</th></tr></thead>
                                            <tbody>{c.histogram.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| view! {
                                                <tr><td>{format!("{} – {}", format::score(Some(i as f64 * width), sm), format::score(Some((i + 1) as f64 * width), sm))}</td>
                                                    <td class="num">{*n}</td></tr>
                                            }).collect_view()}</tbody>
                                        </table>
                                    </details>
                                </figure>
                            })}
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// The results table's state from the page URL (the page size is the page's, not the URL's).
fn results_filter(q: &leptos_router::params::ParamsMap) -> ResultsQuery {
    ResultsQuery::from_pairs(q.into_iter().filter(|(k, _)| k.as_ref() != "limit").map(|(k, v)| (k.as_ref(), v)))
        .unwrap_or_default()
}

/// The results table; `refresh` changes after the run's results changed (live runs).
#[component]
fn ResultsSection(id: i64, score_max: f64, refresh: RwSignal<u64>) -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(results_filter));
    let page = Resource::new(move || (filter.get(), refresh.get()), move |(f, _)| list_run_results(id, f));
    let value = move |f: fn(&ResultsQuery) -> Option<String>| move || f(&filter.get()).unwrap_or_default();
    let base = format!("/runs/{id}");
    let sort_link = move |key: &'static str, label: &'static str| {
        let base = base.clone();
        move || {
            let f = filter.get();
            let next = match f.sort.as_deref() {
                Some(s) if s == key => format!("-{key}"),
                _ => key.to_string(),
            };
            let mut g = f.clone();
            g.sort = Some(next);
            g.cursor = None;
            let arrow = match f.sort.as_deref() {
                Some(s) if s == key => " ↑",
                Some(s) if s.strip_prefix('-') == Some(key) => " ↓",
                _ => "",
            };
            view! { <a href=format!("{base}?{}", g.to_query(false))>{format!("{label}{arrow}")}</a> }
        }
    };
    let select = move |name: &'static str, options: &'static [&'static str], get: fn(&ResultsQuery) -> Option<String>| {
        view! {
            <select name=name prop:value=move || get(&filter.get()).unwrap_or_default()>
                <option value="">"any"</option>
                {options.iter().map(move |o| view! { <option value=*o selected=move || get(&filter.get()).as_deref() == Some(*o)>{*o}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <section aria-label="Results">
            <h2>"Results"</h2>
            <Form method="GET" action=format!("/runs/{id}") attr:class="filters" attr:aria-label="Filter results">
                <label>"Status" {select("status", &["ok", "cached", "workflow_failed", "judge_failed", "skipped"], |f| f.status.clone())}</label>
                <label>"Verdict" {select("verdict", &["pass", "fail", "error", "none"], |f| f.verdict.clone())}</label>
                <label>"Tag" <input name="tag" value=value(|f| f.tag.clone()) prop:value=value(|f| f.tag.clone())/></label>
                <label>"Search" <input type="search" name="q" value=value(|f| f.q.clone()) prop:value=value(|f| f.q.clone()) placeholder="case, output, input, error, reason"/></label>
                <input type="hidden" name="sort" value=value(|f| f.sort.clone())/>
                <button type="submit">"Apply"</button>
                <A href=format!("/runs/{id}") attr:class="reset">"Reset"</A>
            </Form>
            <ExportLinks base=format!("/api/runs/{id}/results") query=Signal::derive(move || filter.get().to_query(false))
                formats=&[("csv", "CSV"), ("jsonl", "JSON Lines")]/>
            <table class="grid" data-testid="results-table">
                <thead><tr>
                    <th>"Case"</th><th>"Status"</th><th>"Verdict"</th>
                    <th class="num">{sort_link("score", "Score")}</th>
                    <th class="num">{sort_link("latency", "Latency")}</th>
                    <th class="num">{sort_link("cost", "Cost")}</th>
                    <th class="num">"Tokens"</th><th>"Output"</th>
                </tr></thead>
                <Transition fallback=|| view! { <tbody><tr><td colspan="8" class="muted">"Loading…"</td></tr></tbody> }>
                    {move || page.get().map(|r| match r {
                        Err(e) => view! { <tbody><tr><td colspan="8" class="error" role="alert">{e.message()}</td></tr></tbody> }.into_any(),
                        Ok(p) => {
                            let rows = p.results;
                            let empty = rows.is_empty();
                            view! {
                                <tbody>
                                    {empty.then(|| view! { <tr><td colspan="8" class="muted" data-testid="results-empty">"No results match."</td></tr> })}
                                    {rows.into_iter().map(|r| view! { <ResultRow r=r run_id=id score_max=score_max/> }).collect_view()}
                                </tbody>
                            }.into_any()
                        }
                    })}
                </Transition>
            </table>
            <Transition fallback=|| ()>
                {move || page.get().and_then(|r| r.ok()).map(|p| view! { <ResultsPager id=id filter=filter.get() next_cursor=p.next_cursor/> })}
            </Transition>
        </section>
    }
}

/// Keyset pages of the results: back to the first, on to the next.
#[component]
fn ResultsPager(id: i64, filter: ResultsQuery, next_cursor: Option<String>) -> impl IntoView {
    let next = next_cursor.map(|c| {
        let g = ResultsQuery { cursor: Some(c), ..filter.clone() };
        PageLink::new(format!("/runs/{id}?{}", g.to_query(true)), "Next »")
    });
    let first = filter.cursor.is_some().then(|| PageLink::new(format!("/runs/{id}?{}", filter.to_query(false)), "« First"));
    view! { <Pager label="Result pages" prev=first next=next/> }
}

#[component]
fn ResultRow(r: ResultSummary, run_id: i64, score_max: f64) -> impl IntoView {
    let href = super::case::case_href(run_id, &r.case_id, r.epoch);
    let label = r.case_name.clone().unwrap_or_else(|| r.case_id.clone());
    view! {
        <tr data-testid="result-row">
            <td><a href=href title=r.case_id.clone()>{label}</a>
                {(r.epoch > 1).then(|| view! { <span class="tag">{format!("epoch {}", r.epoch)}</span> })}</td>
            <td><StatusBadge status=r.status.clone()/></td>
            <td><VerdictBadge verdict=r.verdict.clone()/></td>
            <ScoreCell score=r.headline_score score_max=score_max/>
            <td class="num">{r.duration_ms.map(format::duration).unwrap_or_else(|| "—".into())}</td>
            <td class="num">{format::usd(r.cost_usd)}</td>
            <td class="num">{r.tokens_used}</td>
            <ResultTextCell error=r.error.clone() preview=r.output_preview.clone() snippet=r.snippet.clone()/>
        </tr>
    }
}
