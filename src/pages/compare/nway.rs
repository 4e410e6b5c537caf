//! The N-way view: a score matrix of up to eight runs against the first, a summary row per run,
//! flag filters summed over the compared columns, and a pager.

use leptos::prelude::*;
use leptos_meta::Title;

use super::server::{get_compare_many, NWayView};
use super::{delta_class, outcome_view, COMPARE_PAGE};
use crate::components::{ExportLinks, PageLink, Pager};
use crate::domain::format::{self, signed};
use crate::domain::paging::Paging;
use crate::model::compare::{Flag, NWayCell, NWayRow, NWayRunSummary, NWayWarning};
use crate::model::compare::CaseFlag;
use crate::model::compare_query::CompareQuery;

#[component]
pub fn NWay(query: Memo<CompareQuery>) -> impl IntoView {
    let data = Resource::new(move || query.get(), get_compare_many);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            {move || data.get().map(|r| outcome_view(r, |v| view! { <NWayBody v=v q=query.get_untracked()/> }.into_any()))}
        </Transition>
    }
}

#[component]
fn NWayBody(v: NWayView, q: CompareQuery) -> impl IntoView {
    let NWayView { report: r, rows_total } = v;
    let sm = r.runs.first().map(|s| s.run.score_max).unwrap_or(1.0);
    let eps = r.epsilon;
    let n = r.run_ids.len();
    let paging = Paging::new(q.page, rows_total, COMPARE_PAGE);
    let prev = paging.prev().map(|p| PageLink::new(q.href(|q| q.page = p), "« Previous"));
    let next = paging.next().map(|p| PageLink::new(q.href(|q| q.page = p), "Next »"));
    view! {
        <Title text=format!("Compare {n} runs · Assay")/>
        <header class="run-head" data-testid="compare-header">
            <h1>{format!("Compare {n} runs")}</h1>
            <div class="facts"><span class="muted">"the first run is the baseline; every other column is flagged against it"</span></div>
            <ExportLinks base="/api/compare" query=Signal::stored(export_query(&r.run_ids, q.epsilon)) formats=&[("csv", "CSV")]/>
            <Warnings warnings=r.warnings/>
        </header>
        <NWayFilters runs=r.runs.clone() q=q/>
        <section class="panel" aria-label="Cases by run">
            <table class="grid nway" data-testid="nway-table">
                <thead>
                    <tr><th>"Case"</th>{r.runs.iter().enumerate().map(|(i, s)| view! {
                        <th class="num"><a href=format!("/runs/{}", s.run.id)>{format!("#{}", s.run.id)}</a>
                            <span class="muted sub">{format!("{} · wf v{}", s.run.channel, s.run.workflow_version_number)}</span>
                            {(i == 0).then(|| view! { <span class="tag">"baseline"</span> })}</th>
                    }).collect_view()}</tr>
                    <SummaryRow runs=r.runs score_max=sm eps=eps/>
                </thead>
                <tbody>{r.rows.into_iter().map(|row| view! { <MatrixRow row=row run_ids=r.run_ids.clone() score_max=sm eps=eps/> }).collect_view()}</tbody>
            </table>
            <Pager label="Case pages" prev=prev next=next info=Some(format!("page {} of {} · {rows_total} cases", paging.page, paging.pages))/>
        </section>
    }
}

#[component]
fn Warnings(warnings: Vec<NWayWarning>) -> impl IntoView {
    (!warnings.is_empty()).then(|| view! {
        <ul class="warnings" role="status" data-testid="compare-warnings">{warnings.into_iter().map(|w| view! { <li>{format!("#{}: {}", w.run_id, w.message)}</li> }).collect_view()}</ul>
    })
}

/// One link per score flag, with its count summed over the compared columns.
#[component]
fn NWayFilters(runs: Vec<NWayRunSummary>, q: CompareQuery) -> impl IntoView {
    let active = q.flags.first().copied();
    let to = |flag: Option<Flag>| {
        q.href(|q| {
            q.flags = flag.map(CaseFlag::Score).into_iter().collect();
            q.page = 1;
        })
    };
    view! {
        <nav class="flag-filters" aria-label="Filter cases by flag" data-testid="flag-filters">
            <a href=to(None) aria-current=active.is_none().then_some("page")>"all"</a>
            {Flag::ALL.into_iter().map(|f| {
                let name = f.as_str();
                let count: i64 = runs.iter().skip(1).map(|s| s.count(f)).sum();
                view! { <a href=to(Some(f)) class=format!("flag f-{name}") aria-current=(active == Some(CaseFlag::Score(f))).then_some("page")
                    data-testid=format!("flag-{name}") title="summed over the compared columns">{name.replace('_', " ")}" "<strong>{count}</strong></a> }
            }).collect_view()}
        </nav>
    }
}

/// Each run's mean, its delta and flips against the baseline, pass rate and cost.
#[component]
fn SummaryRow(runs: Vec<NWayRunSummary>, score_max: f64, eps: f64) -> impl IntoView {
    view! {
        <tr class="summary" data-testid="nway-summary"><th>"mean · Δ · pass rate · cost"</th>{runs.into_iter().enumerate().map(|(i, s)| view! {
            <td class="num">
                <div>{format::score(s.mean_score, score_max)}</div>
                {(i > 0).then(|| view! { <div class=delta_class(Some(s.mean_score_delta), eps)>{signed(s.mean_score_delta, 3)}</div>
                    <div class="muted sub">{format!("▲{} ▼{}", s.n_improved, s.n_regressed)}</div> })}
                <div class="muted sub">{format::percent(s.pass_rate)}" · "{format::usd(s.cost_usd)}</div>
            </td>
        }).collect_view()}</tr>
    }
}

#[component]
fn MatrixRow(row: NWayRow, run_ids: Vec<i64>, score_max: f64, eps: f64) -> impl IntoView {
    let case_id = row.case_id.clone();
    view! {
        <tr data-testid="nway-row"><td title=row.case_id.clone()>{row.case_label.clone()}</td>
            {row.cells.into_iter().zip(run_ids).map(|(c, run)| view! { <MatrixCell c=c run=run case_id=case_id.clone() score_max=score_max eps=eps/> }).collect_view()}
        </tr>
    }
}

/// A case's score in one run, shaded by its change against the baseline.
#[component]
fn MatrixCell(c: NWayCell, run: i64, case_id: String, score_max: f64, eps: f64) -> impl IntoView {
    let shade = c.delta.map(|d| (d.abs() / score_max * 100.0 * 2.0).clamp(8.0, 60.0)).unwrap_or(0.0);
    let colour = match c.delta {
        Some(d) if d > eps => "var(--ok)",
        Some(d) if d < -eps => "var(--fail)",
        _ => "transparent",
    };
    let style = format!("background: color-mix(in srgb, {colour} {shade:.0}%, transparent)");
    let flag = c.flag.map(|f| f.as_str()).unwrap_or("baseline");
    view! {
        <td class=format!("num cell f-{flag}") style=style title=flag>
            {if c.status.is_some() {
                view! { <a href=crate::pages::case::case_href(run, &case_id, 1)>{format::score(c.score, score_max)}</a> }.into_any()
            } else {
                view! { <span class="muted">"absent"</span> }.into_any()
            }}
            {c.delta.filter(|d| d.abs() > eps).map(|d| view! { <span class="sub">{format!(" {}", signed(d, 2))}</span> })}
        </td>
    }
}

/// The N-way API's query for the runs shown (and their tolerance).
fn export_query(runs: &[i64], epsilon: Option<f64>) -> String {
    let ids: Vec<String> = runs.iter().map(|r| r.to_string()).collect();
    let mut q = format!("runs={}", ids.join(","));
    if let Some(e) = epsilon {
        q.push_str(&format!("&epsilon={e}"));
    }
    q
}
