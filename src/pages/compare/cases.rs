//! The pairwise case table: one row per case (its flag, both runs' status and verdict linked to
//! the case, scores, Δ and cost Δ), sortable headers, a pager, and the word diff of the open
//! case.

use leptos::prelude::*;

use super::{delta_class, COMPARE_PAGE};
use crate::components::{PageLink, Pager, ScoreCell, StatusBadge, VerdictBadge};
use crate::domain::compare::rows::sort_toggle;
use crate::domain::format::{self, signed};
use crate::domain::paging::Paging;
use crate::domain::{ResultStatus, Verdict};
use crate::model::compare::{CompareCase, CostFlag};
use crate::model::compare_query::{CaseSort, CompareQuery};

#[component]
pub fn CasesPanel(
    rows: Vec<CompareCase>,
    total: usize,
    query: Memo<CompareQuery>,
    a: i64,
    b: i64,
    score_max: f64,
    eps: f64,
    /// Cases of these rows known to be flaky on the bench.
    flaky: Vec<String>,
) -> impl IntoView {
    let q = query.get_untracked();
    let paging = Paging::new(q.page, total, COMPARE_PAGE);
    let to_page = |page: usize| {
        q.href(|q| {
            q.page = page;
            q.open = None;
        })
    };
    let prev = paging.prev().map(|p| PageLink::new(to_page(p), "« Previous"));
    let next = paging.next().map(|p| PageLink::new(to_page(p), "Next »").testid("compare-next"));
    let shown = match paging.rows() {
        Some((first, _)) => format!("{first}–{} of {total}", first + rows.len() - 1),
        None => "none".to_string(),
    };
    let sort_link = |column: CaseSort, label: &'static str| {
        let (next, arrow) = sort_toggle(q.sort, column);
        let href = q.href(|q| {
            q.sort = next;
            q.page = 1;
            q.open = None;
        });
        view! { <a href=href>{format!("{label}{arrow}")}</a> }
    };
    view! {
        <section aria-label="Cases" class="panel">
            <h2>"Cases "<span class="muted">{shown}</span></h2>
            <table class="grid" data-testid="compare-table">
                <thead><tr>
                    <th>{sort_link(CaseSort::Case, "Case")}</th><th>"Flag"</th><th>"a"</th><th>"b"</th>
                    <th class="num">"Score a"</th><th class="num">"Score b"</th><th class="num">{sort_link(CaseSort::Delta, "Δ")}</th>
                    <th class="num">{sort_link(CaseSort::Cost, "Cost Δ")}</th><th>"Diff"</th>
                </tr></thead>
                <tbody>{rows.into_iter().map(|c| {
                    let flaky = flaky.contains(&c.case_id);
                    view! { <CaseRow c=c query=query a=a b=b score_max=score_max eps=eps flaky=flaky/> }
                }).collect_view()}</tbody>
            </table>
            <Pager label="Case pages" prev=prev next=next info=Some(format!("page {} of {}", paging.page, paging.pages))/>
        </section>
    }
}

/// A case in one run: its status and verdict, linked to the case page; "absent" without it.
#[component]
fn RunCell(run: i64, case_id: String, present: bool, status: Option<ResultStatus>, verdict: Option<Verdict>) -> impl IntoView {
    if !present {
        return view! { <td><span class="muted">"absent"</span></td> }.into_any();
    }
    let href = crate::pages::case::case_href(run, &case_id, 1);
    view! {
        <td><a href=href title=format!("this case in run #{run}")>
            <StatusBadge status=status.map(|s| s.as_str()).unwrap_or_default()/>" "
            <VerdictBadge verdict=verdict.map(|v| v.as_str().to_string())/></a></td>
    }
    .into_any()
}

#[component]
fn CaseRow(c: CompareCase, query: Memo<CompareQuery>, a: i64, b: i64, score_max: f64, eps: f64, flaky: bool) -> impl IntoView {
    let case_id = c.case_id.clone();
    let cid = case_id.clone();
    let is_open = Memo::new(move |_| query.with(|q| q.open.as_deref() == Some(cid.as_str())));
    let cid = case_id.clone();
    let toggle = move || query.with(|q| q.href(|q| q.open = if q.open.as_deref() == Some(cid.as_str()) { None } else { Some(cid.clone()) }));
    let cost = if c.cost_flag == CostFlag::CostUnchanged { String::new() } else { format::usd_delta(c.cost_delta) };
    let flag = c.flag.as_str();
    view! {
        <tr data-testid="compare-row" class=move || if is_open.get() { "open" } else { "" }>
            <td><span title=c.case_id.clone()>{c.case_label.clone()}</span>
                {flaky.then(|| view! { " "<crate::components::FlakyBadge/> })}</td>
            <td><span class=format!("flag f-{flag}")>{flag.replace('_', " ")}</span></td>
            <RunCell run=a case_id=case_id.clone() present={c.epochs_a > 0} status=c.status_a verdict=c.verdict_a/>
            <RunCell run=b case_id=case_id.clone() present={c.epochs_b > 0} status=c.status_b verdict=c.verdict_b/>
            <ScoreCell score=c.score_a score_max=score_max/>
            <ScoreCell score=c.score_b score_max=score_max/>
            <td class=format!("num {}", delta_class(c.delta, eps))>{c.delta.map(|d| signed(d, 3)).unwrap_or_else(|| "—".into())}</td>
            <td class=format!("num cost {}", c.cost_flag.as_str())>{cost}</td>
            <td><a href=toggle data-testid="diff-toggle" aria-expanded=move || is_open.get().to_string()>{move || if is_open.get() { "hide" } else { "diff" }}</a></td>
        </tr>
        {move || is_open.get().then(|| view! { <tr class="diff-row"><td colspan="9"><super::diff::DiffView a=a b=b case_id=case_id.clone()/></td></tr> })}
    }
}
