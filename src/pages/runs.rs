//! `/runs`: every run, newest first, with its filters in the query string and keyset pages.
//! Rows of running runs follow one progress stream while any of them still runs.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::live::{is_open, use_progress_stream};
use crate::components::{ErrorView, LiveMark, PageLink, Pager, RunStatusBadge, SampledTag, ScoreCell, StatusBar, VersionLink};
use crate::domain::format;
use crate::model::app_error::AppError;
use crate::model::live::Progress;
use crate::model::query::RunsQuery;
use crate::model::{Run, RunPage};

/// Runs `running` with no result for this long are marked stale.
pub const STALE_MS: i64 = 30 * 60 * 1000;

/// One page of runs plus the server's clock, so staleness renders the same on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsPageData {
    pub page: RunPage,
    pub now_ms: i64,
}

// JSON in: the filter holds a list of metadata pairs, which form encoding cannot carry.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn list_runs_page(filter: RunsQuery) -> Result<RunsPageData, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let q = RunsQuery { limit: Some(50), ..filter };
    let page = store.list_runs(&q).await?;
    Ok(RunsPageData { page, now_ms: crate::server::time::now_ms() })
}

/// The run list's filters from the page URL (the page size is the page's, not the URL's).
pub(crate) fn filter_from_query(q: &leptos_router::params::ParamsMap) -> RunsQuery {
    RunsQuery::from_pairs(q.into_iter().filter(|(k, _)| k.as_ref() != "limit").map(|(k, v)| (k.as_ref(), v)))
        .unwrap_or_default()
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(filter_from_query));
    let data = Resource::new(move || filter.get(), list_runs_page);
    let value = move |f: fn(&RunsQuery) -> Option<String>| move || f(&filter.get()).unwrap_or_default();
    view! {
        <Title text="Runs · Assay"/>
        <h1>"Runs"</h1>
        <Form method="GET" action="/runs" attr:class="filters" attr:aria-label="Filter runs">
            <label>"Bench" <input name="bench" value=value(|f| f.bench.clone()) prop:value=value(|f| f.bench.clone()) placeholder="any"/></label>
            <label>"Channel" <input name="channel" value=value(|f| f.channel.clone()) prop:value=value(|f| f.channel.clone()) placeholder="any"/></label>
            <label>"Status"
                <select name="status" prop:value=value(|f| f.status.clone())>
                    <option value="">"any"</option>
                    {crate::domain::RunStatus::ALL.iter().map(|s| {
                        let name = s.as_str();
                        view! { <option value=name selected=move || filter.get().status.as_deref() == Some(name)>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Triggered by" <input name="triggered_by" value=value(|f| f.triggered_by.clone()) prop:value=value(|f| f.triggered_by.clone()) placeholder="anyone"/></label>
            <label>"Search" <input type="search" name="q" value=value(|f| f.q.clone()) prop:value=value(|f| f.q.clone()) placeholder="notes, model, bench…"/></label>
            {move || filter.get().meta.into_iter().map(|(k, v)| view! { <input type="hidden" name=format!("meta.{k}") value=v/> }).collect_view()}
            <button type="submit">"Apply"</button>
            <A href="/runs" attr:class="reset">"Reset"</A>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(d) => view! { <RunsTable data=d filter=filter.get()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn RunsTable(data: RunsPageData, filter: RunsQuery) -> impl IntoView {
    let RunsPageData { page, now_ms } = data;
    if page.runs.is_empty() {
        return view! { <p class="empty" data-testid="runs-empty">"No runs match these filters."</p> }.into_any();
    }
    let next = page.next_cursor.clone().map(|c| {
        let f = RunsQuery { cursor: Some(c), ..filter.clone() };
        PageLink::new(format!("/runs?{}", f.to_query(true)), "Older »")
    });
    let first = filter.cursor.is_some().then(|| PageLink::new(format!("/runs?{}", filter.to_query(false)), "« Newest"));
    let live = use_live_list(&page.runs);
    // Picking runs is a plain GET form to /compare (`pick=` repeated), so it works before
    // hydration too; the compare page orders the picks, oldest as the baseline.
    view! {
        <Form method="GET" action="/compare" attr:aria-label="Pick runs to compare" attr:class="pick-form">
        <div class="pick-bar">
            <span class="muted">"Tick two runs (or up to eight) to compare them."</span>
            <LiveMark connected=live.connected testid="runs-live"/>
            <button type="submit" data-testid="compare-picked">"Compare selected"</button>
        </div>
        <table class="grid runs" data-testid="runs-table">
            <thead><tr>
                <th><span class="sr-only">"Pick"</span></th>
                <th>"Run"</th><th>"Bench"</th><th>"Channel"</th><th>"Status"</th><th>"Results"</th>
                <th class="num">"Mean score"</th><th class="num">"OK / total"</th><th class="num">"Pass rate"</th>
                <th class="num">"Cost"</th><th class="num">"Cache hits"</th><th class="num">"Duration"</th>
                <th>"Triggered"</th><th>"Versions"</th>
            </tr></thead>
            <tbody>
                {page.runs.into_iter().map(|r| view! { <RunRow run=r now_ms=now_ms live=live/> }).collect_view()}
            </tbody>
        </table>
        </Form>
        <Pager label="Pages" prev=first next=next/>
    }
    .into_any()
}

/// How long a run took, or has taken so far while it is pending or running.
pub fn run_duration(run: &Run, now_ms: i64) -> String {
    let started = format::parse_ts(&run.triggered_at);
    match (started, run.completed_at.as_deref().and_then(format::parse_ts)) {
        (Some(a), Some(b)) => format::duration((b - a).max(0)),
        (Some(a), None) if run.status == "running" || run.status == "pending" => {
            format!("{} so far", format::duration((now_ms - a).max(0)))
        }
        _ => "—".to_string(),
    }
}

/// A run still `running` with no result (nor a start) within the last 30 minutes.
pub fn is_stale(run: &Run, now_ms: i64) -> bool {
    let last = run.last_result_at.as_deref().or(Some(run.triggered_at.as_str())).and_then(format::parse_ts);
    run.status == "running" && last.is_some_and(|t| now_ms - t > STALE_MS)
}

/// The run list's live rows: the latest state of each running run shown, by id.
#[derive(Clone, Copy)]
struct LiveList {
    runs: RwSignal<HashMap<i64, Run>>,
    connected: ReadSignal<bool>,
}

impl LiveList {
    /// `run` as the latest event left it.
    fn current(&self, run: &Run) -> Run {
        self.runs.with(|m| m.get(&run.id).cloned()).unwrap_or_else(|| run.clone())
    }
}

/// One stream for the running rows of a run list, open while any of them still runs (a page
/// of finished runs opens none).
fn use_live_list(runs: &[Run]) -> LiveList {
    let ids: Vec<i64> = runs.iter().filter(|r| is_open(&r.status)).map(|r| r.id).collect();
    let live = RwSignal::new(HashMap::<i64, Run>::new());
    let watched = ids.clone();
    // A memo: the stream is reopened only when this turns, not on every event that updates a row.
    let open = Memo::new(move |_| {
        !watched.is_empty()
            && live.with(|m| watched.iter().any(|id| m.get(id).is_none_or(|r| is_open(&r.status))))
    });
    let connected = use_progress_stream(ids, open.into(), move |p: Progress| {
        live.update(|m| {
            m.insert(p.run_id, p.run);
        });
    });
    LiveList { runs: live, connected }
}

/// A row of the run list; its cells follow the run's live state (the pick box stays as ticked).
#[component]
fn RunRow(run: Run, now_ms: i64, live: LiveList) -> impl IntoView {
    let id = run.id;
    view! {
        <tr data-testid="run-row">
            <td><input type="checkbox" name="pick" value=id.to_string() aria-label=format!("pick run #{id}")/></td>
            {move || view! { <RunCells run=live.current(&run) now_ms=now_ms/> }}
        </tr>
    }
}

#[component]
fn RunCells(run: Run, now_ms: i64) -> impl IntoView {
    let duration = run_duration(&run, now_ms);
    let stale = is_stale(&run, now_ms);
    view! {
            <td><a href=format!("/runs/{}", run.id)>{format!("#{}", run.id)}</a><SampledTag sampled={run.mode == "sampled"}/></td>
            <td>{run.bench_name.clone()}</td>
            <td>{run.channel.clone()}</td>
            <td>
                <RunStatusBadge status=run.status.clone()/>
                {stale.then(|| view! { <span class="badge stale" title="running, but no result for over 30 minutes">"stale"</span> })}
            </td>
            <td><StatusBar run=run.clone()/></td>
            <ScoreCell score=run.mean_headline_score score_max=run.score_max/>
            <td class="num">{format!("{} / {}", run.ok_cases, run.total_cases)}</td>
            <td class="num">{format::percent(run.pass_rate)}</td>
            <td class="num">{format::usd(run.total_cost_usd)}</td>
            <td class="num">{run.cache_hit_cases}</td>
            <td class="num">{duration}</td>
            <td><span class="when" title=format::short_ts(&run.triggered_at)>{format::day_ts(&run.triggered_at)}</span>
                <span class="muted who" title=run.triggered_by.clone()>{run.triggered_by.clone().unwrap_or_default()}</span></td>
            // The bench names the scripts; the versions are what changes from run to run.
            <td class="versions">"wf "<VersionLink kind="workflow" name=run.workflow_script_name.clone() number=run.workflow_version_number short=true/>
                " · judge "<VersionLink kind="judge" name=run.judge_script_name.clone() number=run.judge_version_number short=true testid="judge-link"/></td>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_means_running_and_silent_for_30_minutes() {
        let run: Run = serde_json::from_value(serde_json::json!({
            "id": 1, "bench_id": 1, "bench_name": "b", "channel": "c", "workflow_script_name": "w", "workflow_version_id": 1,
            "workflow_version_number": 1, "judge_script_name": "j", "judge_version_id": 2, "judge_version_number": 1,
            "status": "running", "mode": "full", "sample_size": null, "case_filter": null, "triggered_by": null,
            "triggered_at": "2026-11-22T10:00:00.000Z", "completed_at": null, "notes": null, "mcp_session_id": null,
            "model": null, "system_prompt": null, "temperature": null, "error": null, "metadata": {}, "idempotency_key": null,
            "pass_threshold": 0.5, "score_max": 1.0, "total_cases": 1, "results_count": 0, "ok_cases": 0,
            "mean_headline_score": null, "status_breakdown": {}, "passed": 0, "failed": 0, "inconclusive": 0, "missing": 1,
            "pass_rate": null, "cache_hit_cases": 0, "total_cost_usd": 0.0, "avg_latency_ms": null, "total_tokens": 0,
            "dimension_scores": {}, "last_result_at": "2026-11-22T10:20:00.000Z"
        }))
        .unwrap();
        let at = |s: &str| format::parse_ts(s).unwrap();
        assert!(!is_stale(&run, at("2026-11-22T10:49:00.000Z")), "29 minutes after the last result");
        assert!(is_stale(&run, at("2026-11-22T10:51:00.000Z")));
        let mut done = run.clone();
        done.status = "completed".into();
        assert!(!is_stale(&done, at("2026-11-23T10:00:00.000Z")));
        let mut silent = run;
        silent.last_result_at = None;
        assert!(is_stale(&silent, at("2026-11-22T10:31:00.000Z")), "no result at all: counted from the trigger");
    }
}
