//! The case page's body: header, the texts (inputs, expected output, output, error), scorers
//! with their dimensions and costs, the trace, and the case in the bench's other runs.

use leptos::prelude::*;
use leptos_meta::Title;

use super::clip::ClipText;
use super::server::{CaseView, Clip, ScorerView};
use super::trace::TraceSection;
use super::{case_href, CaseState};
use crate::components::{ScoreCell, StatusBadge, VerdictBadge};
use crate::domain::format;
use crate::model::query::{urlencode, version_href};
use crate::model::views::CaseHistoryPoint;

/// The run, case and epoch a "show all" fetches from.
type Keys = (i64, String, i64);

#[component]
pub fn CaseBody(v: CaseView, state: Memo<CaseState>) -> impl IntoView {
    let keys: Keys = (v.run.id, v.result.case_id.clone(), v.result.epoch);
    let sm = v.run.score_max;
    let judge_base = version_href("judge", &v.run.judge_script_name, v.run.judge_version_number);
    view! {
        <CaseHeader v=v.clone()/>
        <div class="case-grid">
            <section aria-label="Inputs" class="panel">
                <h2>"Inputs"</h2>
                <Text clip=v.inputs.clone() keys=keys.clone() testid="case-inputs" empty="—"/>
                <h2>"Expected output"</h2>
                <Text clip=v.expected.clone() keys=keys.clone() testid="case-expected" empty="—"/>
            </section>
            <section aria-label="Output" class="panel">
                <h2>"Output"</h2>
                <Text clip=v.output.clone() keys=keys.clone() testid="case-output" empty="No output"/>
                {v.error.clone().map(|c| view! { <h2>"Error"</h2><div class="error-box"><ClipText clip=c keys=keys.clone() testid="case-error"/></div> })}
            </section>
        </div>
        <section aria-label="Scores" class="panel">
            <h2>"Scorers"</h2>
            {v.judge_source_error.clone().map(|e| view! { <p class="error" role="alert" data-testid="judge-source-error">{e}</p> })}
            <Scorers scorers=v.scorers.clone() judge_base=judge_base keys=keys.clone() score_max=sm/>
            <Dimensions dimensions=v.result.dimension_scores.clone().into_iter().collect() score_max=sm/>
            <CostFacts v=v.clone()/>
        </section>
        <TraceSection state=state/>
        <History v=v/>
    }
}

#[component]
fn CaseHeader(v: CaseView) -> impl IntoView {
    let run = v.run.clone();
    let r = &v.result;
    let label = v.case_name.clone().unwrap_or_else(|| r.case_id.clone());
    let (run_id, epoch, case_id) = (run.id, r.epoch, r.case_id.clone());
    view! {
        <Title text=format!("{label} · run #{} · Assay", run.id)/>
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href=format!("/benches/{}", urlencode(&run.bench_name))>{run.bench_name.clone()}</a>" › "
            <a href=format!("/runs/{}", run.id)>{format!("Run #{} · {}", run.id, run.channel)}</a>" › "
            <span>{label.clone()}</span>
        </nav>
        <header class="run-head" data-testid="case-header">
            <h1>{label.clone()}" "{(v.case_name.is_some()).then(|| view! { <span class="muted mono">{r.case_id.clone()}</span> })}</h1>
            <div class="facts">
                <StatusBadge status=r.status.clone()/>
                <VerdictBadge verdict=r.verdict.clone() testid="case-verdict"/>
                <span title="headline score" data-testid="case-score">{format!("score {}", format::score(r.headline_score, run.score_max))}</span>
                <span>{r.duration_ms.map(format::duration).unwrap_or_else(|| "—".into())}</span>
                <span>{format!("{} tokens", r.tokens_used)}</span>
                <span>{format::usd(r.cost_usd)}</span>
                {r.cache_hit.then(|| view! { <span class="tag">"cache hit"</span> })}
                {v.frozen.then(|| view! { <span class="tag">"frozen"</span> })}
                {v.flaky.clone().map(|f| view! {
                    <crate::components::FlakyBadge/>
                    <span class="muted" data-testid="flaky-facts">{format!("{} flips over {} runs, passes {:.0}%", f.flips, f.runs, f.pass_rate * 100.0)}</span>
                })}
                {v.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
            </div>
            {(v.epochs.len() > 1).then(|| view! {
                <nav class="epochs" aria-label="Epochs">"Epoch "{v.epochs.iter().map(|&e| {
                    view! { <a href=case_href(run_id, &case_id, e) aria-current=(e == epoch).then_some("page")>{e}</a> }
                }).collect_view()}</nav>
            })}
        </header>
    }
}

/// A clipped text, or what stands in for its absence.
#[component]
fn Text(clip: Option<Clip>, keys: Keys, testid: &'static str, empty: &'static str) -> impl IntoView {
    match clip {
        Some(c) => view! { <ClipText clip=c keys=keys testid=testid/> }.into_any(),
        None => view! { <p class="muted">{empty}</p> }.into_any(),
    }
}

#[component]
fn Scorers(scorers: Vec<ScorerView>, judge_base: String, keys: Keys, score_max: f64) -> impl IntoView {
    if scorers.is_empty() {
        return view! { <p class="muted">"No scorer results."</p> }.into_any();
    }
    view! {
        <table class="grid compact" data-testid="scorer-table">
            <thead><tr><th>"Scorer"</th><th class="num">"Score"</th><th>"Passed"</th><th>"Dimension"</th><th>"Reason"</th></tr></thead>
            <tbody>{scorers.into_iter().map(|s| {
                let href = match s.judge_line { Some(l) => format!("{judge_base}#L{l}"), None => judge_base.clone() };
                view! { <tr>
                    <td><a href=href title="where the judge defines it" data-testid="scorer-source">{s.name.clone()}</a></td>
                    <ScoreCell score=s.score score_max=score_max/>
                    <td>{match s.passed { Some(true) => "yes", Some(false) => "no", None => "—" }}</td>
                    <td>{s.dimension.clone().unwrap_or_default()}</td>
                    <td class="reason">{s.reason.clone().map(|c| view! { <ClipText clip=c keys=keys.clone() testid="scorer-reason"/> })}
                        {s.details.clone().map(|d| view! { <details class="more"><summary>"details"</summary><pre>{d}</pre></details> })}</td>
                </tr> }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Dimensions(dimensions: Vec<(String, f64)>, score_max: f64) -> impl IntoView {
    (!dimensions.is_empty()).then(|| view! {
        <h2>"Dimensions"</h2>
        <table class="grid compact" data-testid="case-dimensions">
            <tbody>{dimensions.into_iter().map(|(d, s)| {
                let pct = (s / score_max * 100.0).clamp(0.0, 100.0);
                view! { <tr><td>{d}</td><ScoreCell score=Some(s) score_max=score_max/>
                    <td class="meter-cell"><div class="meter"><span style=format!("width:{pct:.1}%")></span></div></td></tr> }
            }).collect_view()}</tbody>
        </table>
    })
}

fn opt_num(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

#[component]
fn CostFacts(v: CaseView) -> impl IntoView {
    let v = v.result;
    let usd = |c: Option<f64>| c.map(format::usd).unwrap_or_else(|| "—".into());
    view! {
        <dl class="meta cost">
            <div><dt>"workflow cost"</dt><dd>{usd(v.workflow_cost_usd)}</dd></div>
            <div><dt>"judge cost"</dt><dd>{usd(v.judge_cost_usd)}</dd></div>
            <div><dt>"input tokens"</dt><dd>{opt_num(v.input_tokens)}</dd></div>
            <div><dt>"output tokens"</dt><dd>{opt_num(v.output_tokens)}</dd></div>
            <div><dt>"tool tokens"</dt><dd>{opt_num(v.tool_tokens)}</dd></div>
            <div><dt>"recorded"</dt><dd>{format::short_ts(&v.created_at)}</dd></div>
            {v.workflow_execution_id.clone().map(|x| view! { <div><dt>"workflow execution"</dt><dd class="mono">{x}</dd></div> })}
            {v.judge_execution_id.clone().map(|x| view! { <div><dt>"judge execution"</dt><dd class="mono">{x}</dd></div> })}
        </dl>
    }
}

#[component]
fn History(v: CaseView) -> impl IntoView {
    let (run_id, sm) = (v.run.id, v.run.score_max);
    view! {
        <section aria-label="History" class="panel">
            <h2>"This case in other runs"</h2>
            <div class="history-head">
                <div class="chart-box spark" inner_html=v.history_svg.clone()></div>
                <span class="muted">{format!("latest {} runs of {}", v.history.len(), v.run.bench_name)}</span>
            </div>
            <VerdictStrip history=v.history.clone() case_id=v.result.case_id.clone() current=run_id/>
            <table class="grid compact" data-testid="case-history">
                <thead><tr><th>"Run"</th><th>"Channel"</th><th>"When"</th><th>"Status"</th><th>"Verdict"</th><th class="num">"Score"</th></tr></thead>
                <tbody>{v.history.into_iter().map(|h| view! { <HistoryRow h=h case_id=v.result.case_id.clone() current=run_id score_max=sm/> }).collect_view()}</tbody>
            </table>
        </section>
    }
}

/// The case's verdicts over the bench's runs, oldest first, one linked cell per run.
#[component]
fn VerdictStrip(history: Vec<CaseHistoryPoint>, case_id: String, current: i64) -> impl IntoView {
    view! {
        <ol class="verdict-strip" aria-label="Verdict history, oldest first" data-testid="verdict-strip">
            {history.into_iter().rev().map(|h| {
                let v = h.verdict.clone().unwrap_or_else(|| "none".into());
                let title = format!("run #{} · {} · {} · {v}", h.run_id, h.channel, format::short_ts(&h.triggered_at));
                view! { <li class=format!("v-{v}") class:current={h.run_id == current}>
                    <a href=case_href(h.run_id, &case_id, 1) title=title aria-label=format!("run #{}: {v}", h.run_id)></a></li> }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn HistoryRow(h: CaseHistoryPoint, case_id: String, current: i64, score_max: f64) -> impl IntoView {
    let cur = h.run_id == current;
    view! {
        <tr class:current=cur>
            <td><a href=case_href(h.run_id, &case_id, 1)>{format!("#{}", h.run_id)}</a>{cur.then(|| view! { <span class="muted">" (this run)"</span> })}</td>
            <td>{h.channel.clone()}</td>
            <td>{format::short_ts(&h.triggered_at)}</td>
            <td><StatusBadge status=h.status.clone().unwrap_or_default()/></td>
            <td><VerdictBadge verdict=h.verdict.clone()/></td>
            <td class="num">{format::score(h.score, score_max)}{(h.epochs > 1).then(|| format!(" ({} epochs)", h.epochs))}</td>
        </tr>
    }
}
