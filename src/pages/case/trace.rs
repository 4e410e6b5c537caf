//! The case's trace as a paged timeline: steps with their tool calls (collapsed unless the URL
//! opens them), tool calls outside any step last, and a pager above and below.

use leptos::prelude::*;

use super::clip::ClipText;
use super::server::{get_trace_page, Clip};
use super::{CaseState, TRACE_PAGE};
use crate::components::{ErrorView, PageLink, Pager};
use crate::domain::format;
use crate::domain::paging::Paging;
use crate::model::views::{ToolCallView, TracePage, TraceStepView};

#[component]
pub fn TraceSection(state: Memo<CaseState>) -> impl IntoView {
    let key = Memo::new(move |_| state.with(|s| (s.run_id, s.case_id.clone(), s.epoch, s.trace_page)));
    let page = Resource::new(move || key.get(), |(run, case, epoch, tp)| async move {
        match run {
            Some(run) => get_trace_page(run, case, epoch, (tp - 1) * TRACE_PAGE).await,
            None => Ok(TracePage::default()),
        }
    });
    view! {
        <section aria-label="Trace" class="panel" id="trace">
            <Transition fallback=|| view! { <h2>"Trace"</h2><p class="muted">"Loading trace…"</p> }>
                {move || page.get().map(|r| match r {
                    Err(e) => view! { <h2>"Trace"</h2><ErrorView error=e/> }.into_any(),
                    Ok(p) => view! { <TraceView p=p state=state.get()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TraceView(p: TracePage, state: CaseState) -> impl IntoView {
    if p.total_steps == 0 && p.total_tool_calls == 0 {
        return view! { <h2>"Trace"</h2><p class="muted" data-testid="trace-empty">"No trace recorded."</p> }.into_any();
    }
    let paging = Paging::new(state.trace_page.max(1) as usize, p.total_steps.max(0) as usize, TRACE_PAGE as usize);
    let cur = paging.page as i64;
    let first = p.offset + 1;
    let last = p.offset + p.steps.len() as i64;
    let max_ms = p.steps.iter().filter_map(|s| s.duration_ms).max().unwrap_or(0).max(1);
    let keys = state.keys();
    let open_all = state.open_all;
    let opened = state.step;
    let toggle = if open_all {
        view! { <a href=state.href(cur, None, false) data-testid="collapse-all">"Collapse all"</a> }
    } else {
        view! { <a href=state.href(cur, None, true) data-testid="expand-all">"Expand all"</a> }
    };
    let prev = paging.prev().map(|n| PageLink::new(state.href(n as i64, None, open_all), "« Earlier steps").testid("trace-prev"));
    let next = paging.next().map(|n| PageLink::new(state.href(n as i64, None, open_all), "Later steps »").testid("trace-next"));
    let range = format!("steps {first}–{last} of {}", p.total_steps);
    let pager = move || view! { <Pager label="Trace pages" prev=prev.clone() next=next.clone() info=Some(range.clone()) info_testid="trace-range"/> };
    let steps = p.steps.clone();
    let unattached = p.unattached_calls.clone();
    let st = state.clone();
    view! {
        <h2>"Trace "<span class="muted">{format!("{} steps · {} tool calls", p.total_steps, p.total_tool_calls)}</span></h2>
        <div class="trace-bar">{toggle}{pager()}</div>
        <ol class="timeline" data-testid="trace">
            {steps.into_iter().map(|s| {
                let open = open_all || opened == Some(s.position);
                let link = format!("{}#step-{}", st.href(cur, Some(s.position), open_all), s.position);
                view! { <StepItem s=s open=open max_ms=max_ms keys=keys.clone() link=link/> }
            }).collect_view()}
        </ol>
        {(!unattached.is_empty()).then(|| view! {
            <h3>"Tool calls outside any step"</h3>
            <ul class="calls">{unattached.into_iter().map(|c| view! { <CallItem c=c keys=keys.clone() open=open_all/> }).collect_view()}</ul>
        })}
        {(paging.pages > 1).then(pager)}
    }
    .into_any()
}

#[component]
fn StepItem(s: TraceStepView, open: bool, max_ms: i64, keys: (i64, String, i64), link: String) -> impl IntoView {
    let pct = s.duration_ms.map(|d| (d as f64 / max_ms as f64 * 100.0).clamp(1.0, 100.0)).unwrap_or(0.0);
    let failed = s.tool_calls.iter().any(|c| c.error.is_some());
    let anchor = format!("step-{}", s.position);
    let calls = s.tool_calls.clone();
    let n_calls = calls.len();
    view! {
        <li id=anchor.clone() class:failed=failed data-testid="trace-step">
            <details open=open>
                <summary>
                    <span class="step-no">{format!("#{}", s.index)}</span>
                    <span class="step-type">{s.step_type.clone().unwrap_or_else(|| "step".into())}</span>
                    <span class="step-name">{s.name.clone().unwrap_or_default()}</span>
                    <span class="dur-bar" aria-hidden="true"><span style=format!("width:{pct:.1}%")></span></span>
                    <span class="num">{s.duration_ms.map(format::duration).unwrap_or_default()}</span>
                    <span class="num muted">{s.tokens_used.map(|t| format!("{t} tok")).unwrap_or_default()}</span>
                    {(n_calls > 0).then(|| view! { <span class="muted">{format!("{n_calls} tool call{}", if n_calls == 1 { "" } else { "s" })}</span> })}
                    {failed.then(|| view! { <span class="badge run-failed">"error"</span> })}
                    <a class="permalink" href=link title="link to this step">"¶"</a>
                </summary>
                <div class="step-body">
                    {s.output.clone().map(|o| view! { <ClipText clip=Clip { text: o, cut: s.output_cut, what: format!("step:{}", s.position) } keys=keys.clone() testid="step-output"/> })}
                    {(!calls.is_empty()).then(|| view! {
                        <ul class="calls">{calls.into_iter().map(|c| view! { <CallItem c=c keys=keys.clone() open=open/> }).collect_view()}</ul>
                    })}
                </div>
            </details>
        </li>
    }
}

#[component]
fn CallItem(c: ToolCallView, keys: (i64, String, i64), open: bool) -> impl IntoView {
    let pos = c.position;
    view! {
        <li class:failed=c.error.is_some() data-testid="tool-call">
            <details open=open>
                <summary>
                    <span class="tool">{c.tool_name.clone()}</span>
                    <span class="num">{c.duration_ms.map(format::duration).unwrap_or_default()}</span>
                    {c.error.is_some().then(|| view! { <span class="badge run-failed">"error"</span> })}
                </summary>
                {c.arguments.clone().map(|t| view! { <div class="kv"><span class="k">"arguments"</span><ClipText clip=Clip { text: t, cut: c.arguments_cut, what: format!("args:{pos}") } keys=keys.clone() testid="call-args"/></div> })}
                {c.result.clone().map(|t| view! { <div class="kv"><span class="k">"result"</span><ClipText clip=Clip { text: t, cut: c.result_cut, what: format!("result:{pos}") } keys=keys.clone() testid="call-result"/></div> })}
                {c.error.clone().map(|t| view! { <div class="kv error-box"><span class="k">"error"</span><ClipText clip=Clip { text: t, cut: c.error_cut, what: format!("call_error:{pos}") } keys=keys.clone() testid="call-error"/></div> })}
            </details>
        </li>
    }
}
