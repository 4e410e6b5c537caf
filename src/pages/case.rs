//! `/runs/{id}/cases/{case_id}`: one case of a run — its inputs, expected output, output,
//! scorer results, dimensions, cost and tokens, the trace as a paged timeline, and the case's
//! score across the bench's runs. Long texts arrive clipped; "show all" fetches them whole.
//! URL state: `epoch`, `tp` (trace page, from 1), `step` (an opened step's position),
//! `open=all` (every step opened).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::domain::format;
use crate::model::query::{urlencode, version_href};
use crate::model::views::{CaseHistoryPoint, ToolCallView, TracePage, TraceStepView};
use crate::model::Run;

/// Steps per trace page.
pub const TRACE_PAGE: i64 = 100;

/// A text that may have been cut, with the key that fetches it whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub text: String,
    pub cut: bool,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorerView {
    pub name: String,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<Clip>,
    pub dimension: Option<String>,
    pub details: Option<String>,
    /// Where the judge source names this scorer (1-based), for a `#L` link.
    pub judge_line: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub run: Run,
    pub case_id: String,
    pub case_name: Option<String>,
    pub epoch: i64,
    pub epochs: Vec<i64>,
    pub status: String,
    pub verdict: Option<String>,
    pub headline_score: Option<f64>,
    pub output: Option<Clip>,
    pub error: Option<Clip>,
    pub inputs: Option<Clip>,
    pub expected: Option<Clip>,
    pub tags: Vec<String>,
    pub frozen: bool,
    pub duration_ms: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub tool_tokens: Option<i64>,
    pub tokens_used: i64,
    pub workflow_cost_usd: Option<f64>,
    pub judge_cost_usd: Option<f64>,
    pub cost_usd: f64,
    pub cache_hit: bool,
    pub created_at: String,
    pub workflow_execution_id: Option<String>,
    pub judge_execution_id: Option<String>,
    pub scorers: Vec<ScorerView>,
    pub dimensions: Vec<(String, f64)>,
    pub history: Vec<CaseHistoryPoint>,
    pub history_svg: String,
}

#[cfg(feature = "ssr")]
fn clip(text: String, cap: usize, what: &str) -> Clip {
    let (t, cut) = crate::server::store::views::clip(&text, cap);
    Clip { text: t, cut, what: what.to_string() }
}

/// JSON shown as people read it: a string as its text, anything else indented.
#[cfg(feature = "ssr")]
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        v => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// The first line of `source` naming `needle` as a whole word (1-based).
pub fn line_naming(source: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    source.lines().position(|line| {
        line.match_indices(needle).any(|(i, _)| {
            let before = line[..i].chars().next_back();
            let after = line[i + needle.len()..].chars().next();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
    }).map(|i| i + 1)
}

#[server]
pub async fn get_case_view(run_id: i64, case_id: String, epoch: i64) -> Result<Option<CaseView>, ServerFnError> {
    use crate::server::store::StoreError;
    use crate::server::store::views::TEXT_CAP;
    let store = expect_context::<crate::server::store::Store>();
    let err = |e: StoreError| ServerFnError::new(e.to_string());
    let run = match store.get_run(run_id).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let r = match store.get_result_head(run_id, &case_id, epoch).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let case = store.get_case(run.bench_id, &case_id).await.map_err(err)?;
    let epochs = store.result_epochs(run_id, &case_id).await.map_err(err)?;
    let judge_source = store
        .get_version("judge", &run.judge_script_name, run.judge_version_number)
        .await
        .ok()
        .and_then(|v| v.source)
        .unwrap_or_default();
    let scorers = r
        .scorer_results
        .iter()
        .enumerate()
        .map(|(i, s)| ScorerView {
            name: s.scorer_name.clone(),
            score: s.score,
            passed: s.passed,
            reason: s.reason.clone().map(|t| clip(t, TEXT_CAP, &format!("reason:{i}"))),
            dimension: s.dimension.clone(),
            details: s.details.as_ref().map(|d| clip(json_text(d), TEXT_CAP, "").text),
            judge_line: line_naming(&judge_source, &s.scorer_name),
        })
        .collect();
    let history = store.case_history(run.bench_id, &case_id, 50).await.map_err(err)?;
    let values: Vec<f64> = history.iter().rev().filter_map(|h| h.score).collect();
    let history_svg =
        crate::server::charts::sparkline("This case's score over the bench's runs", &values, run.score_max, (160, 32));
    Ok(Some(CaseView {
        case_id: r.case_id.clone(),
        case_name: r.case_name.clone().or_else(|| case.as_ref().and_then(|c| c.name.clone())),
        epoch,
        epochs,
        status: r.status.clone(),
        verdict: r.verdict.clone(),
        headline_score: r.headline_score,
        output: r.workflow_output.as_ref().map(|o| clip(json_text(o), TEXT_CAP, "output")),
        error: r.error.clone().map(|e| clip(e, TEXT_CAP, "error")),
        inputs: case.as_ref().and_then(|c| c.inputs.as_ref()).map(|v| clip(json_text(v), TEXT_CAP, "inputs")),
        expected: case.as_ref().and_then(|c| c.expected_output.as_ref()).map(|v| clip(json_text(v), TEXT_CAP, "expected")),
        tags: case.as_ref().map(|c| c.tags.clone()).unwrap_or_default(),
        frozen: case.as_ref().is_some_and(|c| c.frozen),
        duration_ms: r.duration_ms,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        tool_tokens: r.tool_tokens,
        tokens_used: r.tokens_used,
        workflow_cost_usd: r.workflow_cost_usd,
        judge_cost_usd: r.judge_cost_usd,
        cost_usd: r.cost_usd,
        cache_hit: r.cache_hit,
        created_at: r.created_at.clone(),
        workflow_execution_id: r.workflow_execution_id.clone(),
        judge_execution_id: r.judge_execution_id.clone(),
        scorers,
        dimensions: r.dimension_scores.clone().into_iter().collect(),
        history,
        history_svg,
        run,
    }))
}

#[server]
pub async fn get_trace_page(run_id: i64, case_id: String, epoch: i64, offset: i64) -> Result<TracePage, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    let rid = store.result_id(run_id, &case_id, epoch).await.map_err(|e| ServerFnError::new(e.to_string()))?;
    store.trace_page(rid, offset.max(0), TRACE_PAGE).await.map_err(|e| ServerFnError::new(e.to_string()))
}

#[server]
pub async fn get_full_text(run_id: i64, case_id: String, epoch: i64, what: String) -> Result<String, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    store.result_text(run_id, &case_id, epoch, &what).await.map_err(|e| ServerFnError::new(e.to_string()))
}

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
            Some(run) => get_case_view(run, case, epoch).await,
            None => Ok(None),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading case…"</p> }>
            {move || head.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(None) => view! { <NoCase/> }.into_any(),
                Ok(Some(v)) => view! { <CaseBody v=v state=state/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn NoCase() -> impl IntoView {
    super::respond_not_found();
    view! {
        <Title text="Case not found · Assay"/>
        <h1>"Case not found"</h1>
        <p>"This run has no result for this case. "<a href="/runs">"All runs"</a></p>
    }
}

#[component]
fn CaseBody(v: CaseView, state: Memo<CaseState>) -> impl IntoView {
    let run = v.run.clone();
    let sm = run.score_max;
    let label = v.case_name.clone().unwrap_or_else(|| v.case_id.clone());
    let judge_base = version_href("judge", &run.judge_script_name, run.judge_version_number);
    let keys = (run.id, v.case_id.clone(), v.epoch);
    let verdict = v.verdict.clone().unwrap_or_else(|| "—".into());
    let epochs = v.epochs.clone();
    let case_id = v.case_id.clone();
    let run_id = run.id;
    let epoch = v.epoch;
    view! {
        <Title text=format!("{label} · run #{} · Assay", run.id)/>
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href=format!("/benches/{}", urlencode(&run.bench_name))>{run.bench_name.clone()}</a>" › "
            <a href=format!("/runs/{}", run.id)>{format!("Run #{} · {}", run.id, run.channel)}</a>" › "
            <span>{label.clone()}</span>
        </nav>
        <header class="run-head" data-testid="case-header">
            <h1>{label.clone()}" "{(v.case_name.is_some()).then(|| view! { <span class="muted mono">{v.case_id.clone()}</span> })}</h1>
            <div class="facts">
                <span class=format!("st st-{}", v.status)>{v.status.clone()}</span>
                <span class=format!("verdict v-{verdict}") data-testid="case-verdict">{verdict.clone()}</span>
                <span title="headline score" data-testid="case-score">{format!("score {}", format::score(v.headline_score, sm))}</span>
                <span>{v.duration_ms.map(format::duration).unwrap_or_else(|| "—".into())}</span>
                <span>{format!("{} tokens", v.tokens_used)}</span>
                <span>{format::usd(v.cost_usd)}</span>
                {v.cache_hit.then(|| view! { <span class="tag">"cache hit"</span> })}
                {v.frozen.then(|| view! { <span class="tag">"frozen"</span> })}
                {v.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
            </div>
            {(epochs.len() > 1).then(|| view! {
                <nav class="epochs" aria-label="Epochs">"Epoch "{epochs.into_iter().map(|e| {
                    let cur = e == epoch;
                    view! { <a href=case_href(run_id, &case_id, e) aria-current=cur.then_some("page")>{e}</a> }
                }).collect_view()}</nav>
            })}
        </header>
        <div class="case-grid">
            <section aria-label="Inputs" class="panel">
                <h2>"Inputs"</h2>
                {match v.inputs.clone() { Some(c) => view! { <ClipText clip=c keys=keys.clone() testid="case-inputs"/> }.into_any(), None => view! { <p class="muted">"—"</p> }.into_any() }}
                <h2>"Expected output"</h2>
                {match v.expected.clone() { Some(c) => view! { <ClipText clip=c keys=keys.clone() testid="case-expected"/> }.into_any(), None => view! { <p class="muted">"—"</p> }.into_any() }}
            </section>
            <section aria-label="Output" class="panel">
                <h2>"Output"</h2>
                {match v.output.clone() { Some(c) => view! { <ClipText clip=c keys=keys.clone() testid="case-output"/> }.into_any(), None => view! { <p class="muted">"No output"</p> }.into_any() }}
                {v.error.clone().map(|c| view! { <h2>"Error"</h2><div class="error-box"><ClipText clip=c keys=keys.clone() testid="case-error"/></div> })}
            </section>
        </div>
        <section aria-label="Scores" class="panel">
            <h2>"Scorers"</h2>
            {if v.scorers.is_empty() { view! { <p class="muted">"No scorer results."</p> }.into_any() } else { view! {
                <table class="grid compact" data-testid="scorer-table">
                    <thead><tr><th>"Scorer"</th><th class="num">"Score"</th><th>"Passed"</th><th>"Dimension"</th><th>"Reason"</th></tr></thead>
                    <tbody>{v.scorers.clone().into_iter().map(|s| {
                        let href = match s.judge_line { Some(l) => format!("{judge_base}#L{l}"), None => judge_base.clone() };
                        view! { <tr>
                            <td><a href=href title="where the judge defines it" data-testid="scorer-source">{s.name.clone()}</a></td>
                            <td class="num">{format::score(s.score, sm)}</td>
                            <td>{match s.passed { Some(true) => "yes", Some(false) => "no", None => "—" }}</td>
                            <td>{s.dimension.clone().unwrap_or_default()}</td>
                            <td class="reason">{s.reason.clone().map(|c| view! { <ClipText clip=c keys=keys.clone() testid="scorer-reason"/> })}
                                {s.details.clone().map(|d| view! { <details class="more"><summary>"details"</summary><pre>{d}</pre></details> })}</td>
                        </tr> }
                    }).collect_view()}</tbody>
                </table>
            }.into_any() }}
            {(!v.dimensions.is_empty()).then(|| view! {
                <h2>"Dimensions"</h2>
                <table class="grid compact" data-testid="case-dimensions">
                    <tbody>{v.dimensions.clone().into_iter().map(|(d, s)| {
                        let pct = (s / sm * 100.0).clamp(0.0, 100.0);
                        view! { <tr><td>{d}</td><td class="num">{format::score(Some(s), sm)}</td>
                            <td class="meter-cell"><div class="meter"><span style=format!("width:{pct:.1}%")></span></div></td></tr> }
                    }).collect_view()}</tbody>
                </table>
            })}
            <dl class="meta cost">
                <div><dt>"workflow cost"</dt><dd>{v.workflow_cost_usd.map(format::usd).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"judge cost"</dt><dd>{v.judge_cost_usd.map(format::usd).unwrap_or_else(|| "—".into())}</dd></div>
                <div><dt>"input tokens"</dt><dd>{opt_num(v.input_tokens)}</dd></div>
                <div><dt>"output tokens"</dt><dd>{opt_num(v.output_tokens)}</dd></div>
                <div><dt>"tool tokens"</dt><dd>{opt_num(v.tool_tokens)}</dd></div>
                <div><dt>"recorded"</dt><dd>{format::short_ts(&v.created_at)}</dd></div>
                {v.workflow_execution_id.clone().map(|x| view! { <div><dt>"workflow execution"</dt><dd class="mono">{x}</dd></div> })}
                {v.judge_execution_id.clone().map(|x| view! { <div><dt>"judge execution"</dt><dd class="mono">{x}</dd></div> })}
            </dl>
        </section>
        <TraceSection state=state/>
        <section aria-label="History" class="panel">
            <h2>"This case in other runs"</h2>
            <div class="history-head">
                <div class="chart-box spark" inner_html=v.history_svg.clone()></div>
                <span class="muted">{format!("latest {} runs of {}", v.history.len(), run.bench_name)}</span>
            </div>
            <table class="grid compact" data-testid="case-history">
                <thead><tr><th>"Run"</th><th>"Channel"</th><th>"When"</th><th>"Status"</th><th>"Verdict"</th><th class="num">"Score"</th></tr></thead>
                <tbody>{v.history.clone().into_iter().map(|h| {
                    let cur = h.run_id == run_id;
                    let verdict = h.verdict.clone().unwrap_or_else(|| "—".into());
                    view! { <tr class:current=cur>
                        <td><a href=case_href(h.run_id, &v.case_id, 1)>{format!("#{}", h.run_id)}</a>{cur.then(|| view! { <span class="muted">" (this run)"</span> })}</td>
                        <td>{h.channel.clone()}</td>
                        <td>{format::short_ts(&h.triggered_at)}</td>
                        <td><span class=format!("st st-{}", h.status.clone().unwrap_or_default())>{h.status.clone().unwrap_or_default()}</span></td>
                        <td><span class=format!("verdict v-{verdict}")>{verdict.clone()}</span></td>
                        <td class="num">{format::score(h.score, sm)}{(h.epochs > 1).then(|| format!(" ({} epochs)", h.epochs))}</td>
                    </tr> }
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}

fn opt_num(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

/// A text shown as text, with "show all" when the server cut it.
#[component]
fn ClipText(clip: Clip, keys: (i64, String, i64), testid: &'static str) -> impl IntoView {
    let (text, set_text) = signal(clip.text.clone());
    let (cut, set_cut) = signal(clip.cut);
    let (failed, set_failed) = signal(None::<String>);
    let what = clip.what.clone();
    let load = Action::new(move |_: &()| {
        let (run, case, epoch) = keys.clone();
        let what = what.clone();
        async move { get_full_text(run, case, epoch, what).await }
    });
    Effect::new(move |_| {
        if let Some(r) = load.value().get() {
            match r {
                Ok(t) => {
                    set_text.set(t);
                    set_cut.set(false);
                }
                Err(e) => set_failed.set(Some(e.to_string())),
            }
        }
    });
    view! {
        <div class="clip">
            <pre data-testid=testid>{move || text.get()}{move || cut.get().then_some("…")}</pre>
            {move || cut.get().then(|| view! {
                <button type="button" class="link" data-testid="show-all" on:click=move |_| { load.dispatch(()); }
                    disabled=move || load.pending().get()>
                    {move || if load.pending().get() { "Loading…" } else { "Show all" }}
                </button>
            })}
            {move || failed.get().map(|e| view! { <span class="error">{e}</span> })}
        </div>
    }
}

#[component]
fn TraceSection(state: Memo<CaseState>) -> impl IntoView {
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
                    Err(e) => view! { <h2>"Trace"</h2><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
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
    let pages = ((p.total_steps + TRACE_PAGE - 1) / TRACE_PAGE).max(1);
    let cur = state.trace_page.min(pages);
    let first = p.offset + 1;
    let last = p.offset + p.steps.len() as i64;
    let max_ms = p.steps.iter().filter_map(|s| s.duration_ms).max().unwrap_or(0).max(1);
    let keys = (state.run_id.unwrap_or(0), state.case_id.clone(), state.epoch);
    let open_all = state.open_all;
    let opened = state.step;
    let toggle = if open_all {
        view! { <a href=state.href(cur, None, false) data-testid="collapse-all">"Collapse all"</a> }
    } else {
        view! { <a href=state.href(cur, None, true) data-testid="expand-all">"Expand all"</a> }
    };
    let prev = (cur > 1).then(|| state.href(cur - 1, None, open_all));
    let next = (cur < pages).then(|| state.href(cur + 1, None, open_all));
    let pager = move || view! {
        <nav class="pager" aria-label="Trace pages">
            {prev.clone().map(|h| view! { <a href=h data-testid="trace-prev">"« Earlier steps"</a> })}
            <span class="muted" data-testid="trace-range">{format!("steps {first}–{last} of {}", p.total_steps)}</span>
            {next.clone().map(|h| view! { <a href=h rel="next" data-testid="trace-next">"Later steps »"</a> })}
        </nav>
    };
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
        {(pages > 1).then(pager)}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_naming_finds_whole_words_only() {
        let src = "def helper():\n    pass\n\n@scorer\ndef accuracy_strict(x):\n    ...\ndef accuracy(x):\n";
        assert_eq!(line_naming(src, "accuracy"), Some(7));
        assert_eq!(line_naming(src, "accuracy_strict"), Some(5));
        assert_eq!(line_naming(src, "missing"), None);
        assert_eq!(line_naming(src, ""), None);
        assert_eq!(line_naming("x = \"tone\"", "tone"), Some(1));
    }

    #[test]
    fn case_links_keep_odd_ids_in_one_segment() {
        assert_eq!(case_href(3, "a/b c%é", 1), "/runs/3/cases/a%2Fb%20c%25%C3%A9");
        assert_eq!(case_href(3, "x", 2), "/runs/3/cases/x?epoch=2");
        let s = CaseState { run_id: Some(3), case_id: "a/b".into(), epoch: 2, trace_page: 1, step: None, open_all: false };
        assert_eq!(s.href(3, Some(250), true), "/runs/3/cases/a%2Fb?epoch=2&tp=3&step=250&open=all");
        assert_eq!(s.href(1, None, false), "/runs/3/cases/a%2Fb?epoch=2");
    }
}
