//! `/runs/{id}/cases/{case_id}`: one case of a run — its inputs, expected output, output,
//! scorer results, dimensions, cost and tokens, the trace as a paged timeline, and the case's
//! score across the bench's runs. Long texts arrive clipped; "show all" fetches them whole.
//! URL state: `epoch`, `tp` (trace page, from 1), `step` (an opened step's position),
//! `open=all` (every step opened).

mod body;
mod clip;
pub mod server;
mod trace;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{ErrorView, NotFoundView};
use crate::model::app_error::AppError;
use crate::model::query::urlencode;

pub use server::{line_naming, CaseView, Clip, ScorerView};

/// Steps per trace page.
pub const TRACE_PAGE: i64 = 100;

/// Where a case lives, with the page's query state.
#[derive(Clone, Debug, PartialEq)]
struct CaseState {
    run_id: Option<i64>,
    case_id: String,
    epoch: i64,
    trace_page: i64,
    step: Option<i64>,
    open_all: bool,
}

impl CaseState {
    fn href(&self, trace_page: i64, step: Option<i64>, open_all: bool) -> String {
        let mut q = Vec::new();
        if self.epoch != 1 {
            q.push(format!("epoch={}", self.epoch));
        }
        if trace_page > 1 {
            q.push(format!("tp={trace_page}"));
        }
        if let Some(s) = step {
            q.push(format!("step={s}"));
        }
        if open_all {
            q.push("open=all".into());
        }
        let base = format!("/runs/{}/cases/{}", self.run_id.unwrap_or(0), urlencode(&self.case_id));
        if q.is_empty() { base } else { format!("{base}?{}", q.join("&")) }
    }

    /// The run, case and epoch whose texts "show all" fetches.
    fn keys(&self) -> (i64, String, i64) {
        (self.run_id.unwrap_or(0), self.case_id.clone(), self.epoch)
    }
}

pub fn case_href(run_id: i64, case_id: &str, epoch: i64) -> String {
    if epoch == 1 {
        format!("/runs/{run_id}/cases/{}", urlencode(case_id))
    } else {
        format!("/runs/{run_id}/cases/{}?epoch={epoch}", urlencode(case_id))
    }
}

#[component]
pub fn CasePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let state = Memo::new(move |_| {
        let (run_id, case_id) = params.with(|p| (p.get("id").and_then(|s| s.parse::<i64>().ok()), p.get("case_id").unwrap_or_default()));
        query.with(|q| {
            let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            let step = num("step").filter(|s| *s >= 0);
            let trace_page = num("tp").filter(|p| *p >= 1).unwrap_or_else(|| step.map(|s| s / TRACE_PAGE + 1).unwrap_or(1));
            CaseState {
                run_id,
                case_id,
                epoch: num("epoch").filter(|e| *e >= 1).unwrap_or(1),
                trace_page,
                step,
                open_all: q.get("open").as_deref() == Some("all"),
            }
        })
    });
    let head_key = Memo::new(move |_| state.with(|s| (s.run_id, s.case_id.clone(), s.epoch)));
    let head = Resource::new(move || head_key.get(), |(run, case, epoch)| async move {
        match run {
            Some(run) => server::get_case_view(run, case, epoch).await,
            None => Err(AppError::NotFound("a run id is a number".into())),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading case…"</p> }>
            {move || head.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! {
                    <NotFoundView title="Case not found" message="This run has no result for this case." href="/runs" link="All runs"/>
                }.into_any(),
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(v) => view! { <body::CaseBody v=v state=state/> }.into_any(),
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_links_keep_odd_ids_in_one_segment() {
        assert_eq!(case_href(3, "a/b c%é", 1), "/runs/3/cases/a%2Fb%20c%25%C3%A9");
        assert_eq!(case_href(3, "x", 2), "/runs/3/cases/x?epoch=2");
        let s = CaseState { run_id: Some(3), case_id: "a/b".into(), epoch: 2, trace_page: 1, step: None, open_all: false };
        assert_eq!(s.href(3, Some(250), true), "/runs/3/cases/a%2Fb?epoch=2&tp=3&step=250&open=all");
        assert_eq!(s.href(1, None, false), "/runs/3/cases/a%2Fb?epoch=2");
    }
}
