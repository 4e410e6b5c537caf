//! `/benches/{bench}`: a bench's channels and their publish history, a trend chart per channel,
//! "compare channel X vs Y", recent runs, and its cases (tag filter and pages in the URL:
//! `tag`, `after`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::{ErrorView, LatestRuns, NotFoundView, PageLink, Pager, RunStatusBadge, SampledTag, ScoreCell, VersionLink};
use crate::domain::format;
use crate::model::app_error::AppError;
use crate::model::query::{urlencode, version_href};
use crate::model::views::{CaseListPage, TrendPoint};
use crate::model::{Bench, Channel, ChannelLatest, Run};

/// Cases per page on the bench page.
pub const CASE_PAGE: i64 = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelTrend {
    pub channel: String,
    pub svg: String,
    pub points: Vec<TrendPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchView {
    pub bench: Bench,
    pub run_count: i64,
    pub latest: Vec<ChannelLatest>,
    /// The latest completed run of each channel: (channel, run id).
    pub latest_completed: Vec<(String, i64)>,
    pub workflow_channels: Vec<Channel>,
    pub judge_channels: Vec<Channel>,
    pub trends: Vec<ChannelTrend>,
    pub recent: Vec<Run>,
}

/// Marks where the workflow or judge version changed between consecutive points.
pub fn version_marks(points: &[TrendPoint]) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let mut parts = Vec::new();
        if a.workflow_version != b.workflow_version {
            parts.push(format!("wf v{}", b.workflow_version));
        }
        if a.judge_version != b.judge_version {
            parts.push(format!("judge v{}", b.judge_version));
        }
        if !parts.is_empty() {
            out.push((b.triggered_at_ms, parts.join(" ")));
        }
    }
    out
}

#[server]
pub async fn get_bench_view(name: String) -> Result<BenchView, AppError> {
    use crate::server::charts::{trend, Ink, Mark, Series};
    let store = expect_context::<crate::server::store::Store>();
    let bench = store.find_bench(&name).await?.ok_or_else(|| AppError::NotFound(format!("no bench '{name}'")))?;
    let overview = store.bench_overviews(Some(&name)).await?.into_iter().next();
    let (run_count, latest) = overview.map(|o| (o.run_count, o.latest)).unwrap_or_default();
    let workflow_channels = store.script_channels("workflow", &bench.workflow).await?;
    let judge_channels = store.script_channels("judge", &bench.judge).await?;
    let points = store.bench_trend(bench.id, 300).await?;
    let mut channels: Vec<String> = points.iter().map(|p| p.channel.clone()).collect();
    channels.sort();
    channels.dedup();
    let sm = bench.score_max;
    let mut latest_completed = Vec::new();
    let trends = channels
        .into_iter()
        .map(|ch| {
            let pts: Vec<TrendPoint> = points.iter().filter(|p| p.channel == ch).cloned().collect();
            if let Some(last) = pts.iter().rev().find(|p| !p.sampled).or(pts.last()) {
                latest_completed.push((ch.clone(), last.run_id));
            }
            let full: Vec<&TrendPoint> = pts.iter().filter(|p| !p.sampled).collect();
            let sampled: Vec<&TrendPoint> = pts.iter().filter(|p| p.sampled).collect();
            let score_name = if sm == 1.0 { "mean score".to_string() } else { format!("mean score ÷ {sm}") };
            let mut series = vec![
                Series {
                    name: score_name.clone(),
                    ink: Ink::Series1,
                    points: full.iter().filter_map(|p| p.mean_score.map(|m| (p.triggered_at_ms, m / sm))).collect(),
                    apart: false,
                },
                Series {
                    name: "pass rate".into(),
                    ink: Ink::Series2,
                    points: full.iter().filter_map(|p| p.pass_rate.map(|r| (p.triggered_at_ms, r))).collect(),
                    apart: false,
                },
            ];
            if !sampled.is_empty() {
                series.push(Series {
                    name: format!("{score_name} (sampled runs)"),
                    ink: Ink::Series3,
                    points: sampled.iter().filter_map(|p| p.mean_score.map(|m| (p.triggered_at_ms, m / sm))).collect(),
                    apart: true,
                });
            }
            let marks: Vec<Mark> = version_marks(&pts).into_iter().map(|(x, label)| Mark { x, label }).collect();
            let svg = trend(&format!("Trend of {name} on {ch}"), &series, &marks, 1.0, (720, 220));
            ChannelTrend { channel: ch, svg, points: pts }
        })
        .collect();
    let recent = store
        .list_runs(&crate::model::query::RunsQuery { bench: Some(name.clone()), limit: Some(15), ..Default::default() })
        .await?
        .runs;
    Ok(BenchView { bench, run_count, latest, latest_completed, workflow_channels, judge_channels, trends, recent })
}

#[server]
pub async fn list_bench_cases(name: String, tag: Option<String>, after: Option<String>) -> Result<CaseListPage, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let Some(bench) = store.find_bench(&name).await? else {
        return Ok(CaseListPage::default());
    };
    Ok(store.list_cases(bench.id, tag.as_deref().filter(|t| !t.is_empty()), after.as_deref(), CASE_PAGE).await?)
}

#[component]
pub fn BenchPage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.with(|p| p.get("bench").unwrap_or_default()));
    let view_res = Resource::new(move || name.get(), get_bench_view);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading bench…"</p> }>
            {move || view_res.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! { <NotFoundView title="Bench not found" message="There is no such bench." href="/" link="All benches"/> }.into_any(),
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(v) => view! { <BenchBody v=v/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn BenchBody(v: BenchView) -> impl IntoView {
    let b = v.bench.clone();
    let sm = b.score_max;
    let runs_href = format!("/runs?bench={}", urlencode(&b.name));
    let pairs: Vec<((String, i64), (String, i64))> = {
        let lc = &v.latest_completed;
        let mut out = Vec::new();
        for i in 0..lc.len() {
            for j in 0..lc.len() {
                if i != j && (lc[i].0 == "production" || (i < j && !lc.iter().any(|c| c.0 == "production"))) {
                    out.push((lc[i].clone(), lc[j].clone()));
                }
            }
        }
        out
    };
    view! {
        <Title text=format!("{} · Assay", b.name)/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"Benches"</a>" › "<span>{b.name.clone()}</span></nav>
        <header class="run-head" data-testid="bench-header">
            <h1>{b.name.clone()}</h1>
            {b.description.clone().map(|d| view! { <p class="notes" data-testid="bench-description">{d}</p> })}
            <div class="facts">
                <span>{format!("{} cases", b.case_count)}</span>
                <a href=runs_href.clone()>{format!("{} runs", v.run_count)}</a>
                <span>"workflow "<strong>{b.workflow.clone()}</strong></span>
                <span>"judge "<strong>{b.judge.clone()}</strong>{format!(" on {}", b.judge_channel)}</span>
                <span>{format!("pass at ≥ {} of {}", b.pass_threshold, b.score_max)}</span>
            </div>
        </header>
        {(!pairs.is_empty()).then(|| {
            let channels: Vec<String> = v.latest_completed.iter().map(|c| c.0.clone()).collect();
            let link = |x: &str, y: &str| format!("/compare?bench={}&x={}&y={}", urlencode(&b.name), urlencode(x), urlencode(y));
            view! {
                <nav class="compare-links" aria-label="Compare channels" data-testid="channel-compare">
                    <span class="muted" title="each link resolves the latest completed full run of both channels when opened">"Compare channels (latest completed full runs):"</span>
                    {pairs.into_iter().map(|((ca, _), (cb, _))| view! { <a href=link(&ca, &cb)>{format!("{ca} vs {cb}")}</a> }).collect_view()}
                    <form method="GET" action="/compare" class="inline" data-testid="channel-pick">
                        <input type="hidden" name="bench" value=b.name.clone()/>
                        <select name="x" aria-label="baseline channel">{channels.iter().enumerate().map(|(i, c)| view! { <option value=c.clone() selected={i == 0}>{c.clone()}</option> }).collect_view()}</select>
                        " vs "
                        <select name="y" aria-label="compared channel">{channels.iter().enumerate().map(|(i, c)| view! { <option value=c.clone() selected={i == 1}>{c.clone()}</option> }).collect_view()}</select>
                        <button type="submit">"Compare"</button>
                    </form>
                </nav>
            }
        })}
        <section aria-label="Latest runs per channel" class="panel">
            <h2>"Latest run per channel"</h2>
            <LatestRuns latest=v.latest.clone() score_max=sm/>
        </section>
        <section aria-label="Trends" class="panel">
            <h2>"Trend per channel"</h2>
            {if v.trends.is_empty() { view! { <p class="muted">"No completed runs yet."</p> }.into_any() } else { view! {
                <div class="trend-grid">{v.trends.clone().into_iter().map(|t| view! { <TrendBox t=t score_max=sm/> }).collect_view()}</div>
            }.into_any() }}
        </section>
        <div class="two-col">
            <ChannelsPanel title="Workflow channels" kind="workflow" channels=v.workflow_channels.clone()/>
            <ChannelsPanel title="Judge channels" kind="judge" channels=v.judge_channels.clone()/>
        </div>
        <section aria-label="Recent runs" class="panel">
            <h2>"Recent runs "<a class="muted small" href=runs_href>"all runs »"</a></h2>
            <table class="grid" data-testid="bench-runs">
                <thead><tr><th>"Run"</th><th>"Channel"</th><th>"Status"</th><th>"Workflow"</th><th>"Judge"</th><th class="num">"Mean"</th><th class="num">"Pass rate"</th><th class="num">"Cost"</th><th>"When"</th></tr></thead>
                <tbody>{v.recent.clone().into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</a><SampledTag sampled={r.mode != "full"}/></td>
                        <td>{r.channel.clone()}</td>
                        <td><RunStatusBadge status=r.status.clone()/></td>
                        <td><VersionLink kind="workflow" name=r.workflow_script_name.clone() number=r.workflow_version_number short=true/></td>
                        <td><VersionLink kind="judge" name=r.judge_script_name.clone() number=r.judge_version_number short=true/></td>
                        <ScoreCell score=r.mean_headline_score score_max=r.score_max/>
                        <td class="num">{format::percent(r.pass_rate)}</td>
                        <td class="num">{format::usd(r.total_cost_usd)}</td>
                        <td class="when">{format::short_ts(&r.triggered_at)}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </section>
        <CasesPanel bench=b.name.clone()/>
    }
}

#[component]
fn TrendBox(t: ChannelTrend, score_max: f64) -> impl IntoView {
    let ch = t.channel.clone();
    view! {
        <figure class="chart-box trend" data-testid="trend-chart">
            <figcaption>{ch.clone()}</figcaption>
            <div inner_html=t.svg.clone()></div>
            <details class="chart-values">
                <summary>{format!("values ({} runs)", t.points.len())}</summary>
                <table class="grid compact">
                    <thead><tr><th>"Run"</th><th>"When"</th><th class="num">"Mean"</th><th class="num">"Pass rate"</th><th>"Versions"</th></tr></thead>
                    <tbody>{t.points.into_iter().rev().map(|p| view! {
                        <tr>
                            <td><a href=format!("/runs/{}", p.run_id)>{format!("#{}", p.run_id)}</a><SampledTag sampled=p.sampled/></td>
                            <td>{format::short_ts(&crate::domain::format::ms_to_ts(p.triggered_at_ms))}</td>
                            <ScoreCell score=p.mean_score score_max=score_max/>
                            <td class="num">{format::percent(p.pass_rate)}</td>
                            <td>{format!("wf v{} · judge v{}", p.workflow_version, p.judge_version)}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[component]
fn ChannelsPanel(title: &'static str, kind: &'static str, channels: Vec<Channel>) -> impl IntoView {
    view! {
        <section aria-label=title class="panel" data-testid=format!("{kind}-channels")>
            <h2>{title}</h2>
            {if channels.is_empty() { view! { <p class="muted">"No channels."</p> }.into_any() } else { view! {
                <ul class="channels">{channels.into_iter().map(|c| {
                    let href = version_href(kind, &c.script_name, c.version_number);
                    let name = c.script_name.clone();
                    view! {
                        <li>
                            <div><span class="channel">{c.name.clone()}</span>" → "<a href=href>{format!("{} v{}", c.script_name, c.version_number)}</a>
                                <span class="muted">{format!(" since {}", format::short_ts(&c.updated_at))}</span></div>
                            {(c.history.len() > 1).then(|| view! {
                                <details class="more"><summary>{format!("history ({} moves)", c.history.len())}</summary>
                                    <ol class="history">{c.history.iter().map(|m| view! {
                                        <li><a href=version_href(kind, &name, m.version_number)>{format!("v{}", m.version_number)}</a>
                                            <span class="muted">{format!(" {} by {}", format::short_ts(&m.published_at), m.published_by.clone().unwrap_or_else(|| "—".into()))}</span></li>
                                    }).collect_view()}</ol>
                                </details>
                            })}
                        </li>
                    }
                }).collect_view()}</ul>
            }.into_any() }}
        </section>
    }
}

#[component]
fn CasesPanel(bench: String) -> impl IntoView {
    let query = use_query_map();
    let key = Memo::new(move |_| query.with(|q| (q.get("tag").filter(|t| !t.is_empty()), q.get("after").filter(|a| !a.is_empty()))));
    let b = bench.clone();
    let page = Resource::new(move || key.get(), move |(tag, after)| list_bench_cases(b.clone(), tag, after));
    let base = format!("/benches/{}", urlencode(&bench));
    view! {
        <section aria-label="Cases" class="panel" id="cases">
            <h2>"Cases"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading cases…"</p> }>
                {move || page.get().map(|r| match r {
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                    Ok(p) => {
                        let (tag, after) = key.get();
                        let base = base.clone();
                        let tag_href = move |t: Option<&str>| match t {
                            Some(t) => format!("{base}?tag={}#cases", urlencode(t)),
                            None => format!("{base}#cases"),
                        };
                        let next = p.next_after.clone().map(|a| {
                            let mut h = tag_href(tag.as_deref());
                            h.truncate(h.len() - "#cases".len());
                            let href = format!("{h}{}after={}#cases", if h.contains('?') { "&" } else { "?" }, urlencode(&a));
                            PageLink::new(href, "Next »").testid("cases-next")
                        });
                        let first = after.is_some().then(|| PageLink::new(tag_href(tag.as_deref()), "« First"));
                        view! {
                            <nav class="tags" aria-label="Filter cases by tag">
                                <a href=tag_href(None) aria-current=tag.is_none().then_some("page")>"all"</a>
                                {p.tags.iter().map(|(t, n)| view! {
                                    <a href=tag_href(Some(t)) aria-current=(tag.as_deref() == Some(t.as_str())).then_some("page")>{format!("{t} ({n})")}</a>
                                }).collect_view()}
                            </nav>
                            <table class="grid" data-testid="bench-cases">
                                <thead><tr><th>"Case"</th><th>"Name"</th><th>"Tags"</th></tr></thead>
                                <tbody>{p.cases.into_iter().map(|c| view! {
                                    <tr><td class="mono">{c.id.clone()}{c.frozen.then(|| view! { <span class="tag">"frozen"</span> })}</td>
                                        <td>{c.name.clone().unwrap_or_default()}</td>
                                        <td>{c.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</td></tr>
                                }).collect_view()}</tbody>
                            </table>
                            <Pager label="Case pages" prev=first next=next/>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: i64, wf: i64, j: i64) -> TrendPoint {
        TrendPoint { run_id: t, channel: "c".into(), triggered_at_ms: t, sampled: false, workflow_version: wf, judge_version: j, mean_score: None, pass_rate: None }
    }

    #[test]
    fn marks_fall_where_a_version_changes() {
        let pts = [p(1, 1, 1), p(2, 1, 1), p(3, 2, 1), p(4, 2, 2), p(5, 3, 3)];
        assert_eq!(
            version_marks(&pts),
            vec![(3, "wf v2".to_string()), (4, "judge v2".to_string()), (5, "wf v3 judge v3".to_string())]
        );
        assert!(version_marks(&pts[..1]).is_empty());
    }
}
