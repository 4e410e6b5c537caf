//! The pairwise view: a header naming both runs, the summary (mean delta with its interval and
//! significance, pass rate, cost and latency), flag filters, the verdict transitions, the
//! dimension deltas, and the case table.

use leptos::prelude::*;
use leptos_meta::Title;

use super::server::{get_compare, PairwiseView};
use super::{delta_class, outcome_view, run_label};
use crate::domain::format::{self, signed};
use crate::model::compare::{CaseFlag, CompareAggregate, CompareWarning, DimensionDelta, Significance, VerdictTransitions};
use crate::model::compare_query::{CompareQuery, ExportFormat};
use crate::model::flaky::FlakyInCompare;
use crate::model::Run;

#[component]
pub fn Pairwise(query: Memo<CompareQuery>) -> impl IntoView {
    // The report is recomputed when the runs, epsilon, flag, sort or page change; opening a
    // diff changes only `open`, which does not refetch.
    let key = Memo::new(move |_| query.with(|q| CompareQuery { open: None, ..q.clone() }));
    let data = Resource::new(move || key.get(), get_compare);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            {move || data.get().map(|r| outcome_view(r, |v| view! { <PairwiseBody v=v query=query/> }.into_any()))}
        </Transition>
    }
}

#[component]
fn PairwiseBody(v: PairwiseView, query: Memo<CompareQuery>) -> impl IntoView {
    let q = query.get_untracked();
    let PairwiseView { report: r, rows_total, dims_svg } = v;
    let (a, b, eps, sm) = (r.run_a_id, r.run_b_id, r.epsilon, r.run_a.score_max);
    let agg = r.aggregate;
    view! {
        <Title text=format!("Compare #{a} → #{b} · Assay")/>
        <CompareHeader run_a=r.run_a run_b=r.run_b epsilon=eps warnings=r.warnings q=q.clone()/>
        <SummaryCards agg=agg.clone() eps=eps score_max=sm/>
        <Power sig=agg.significance.clone() flaky=r.flaky.clone().unwrap_or_default() q=q.clone()/>
        <FlagFilters agg=agg.clone() q=q/>
        <div class="two-col">
            <Transitions t=agg.transitions.clone()/>
            <Dimensions deltas=agg.dimension_deltas.clone() paired=agg.dimensions_paired() svg=dims_svg eps=eps score_max=sm/>
        </div>
        <super::cases::CasesPanel rows=r.per_case total=rows_total query=query a=a b=b score_max=sm eps=eps
            flaky=r.flaky.map(|f| f.flaky_case_ids).unwrap_or_default()/>
    }
}

#[component]
fn CompareHeader(run_a: Run, run_b: Run, epsilon: f64, warnings: Vec<CompareWarning>, q: CompareQuery) -> impl IntoView {
    let (a, b) = (run_a.id, run_b.id);
    let swap = q.href(|q| {
        q.a = Some(b);
        q.b = Some(a);
        if let Some(c) = q.channels.as_mut() {
            std::mem::swap(&mut c.x, &mut c.y);
        }
        q.page = 1;
        q.open = None;
    });
    let living = q.channels.clone().map(|c| {
        let pinned = q.href(|q| {
            q.channels = None;
            q.a = Some(a);
            q.b = Some(b);
        });
        view! {
            <p class="muted living" data-testid="living-link">
                {format!("Channel {} against {} on {}: the latest completed full run of each, chosen when this page was opened (#{a} and #{b}). This link follows new runs; ", c.x, c.y, c.bench)}
                <a href=pinned data-testid="pinned-link">"pin these two runs"</a>"."
            </p>
        }
    });
    view! {
        <header class="run-head" data-testid="compare-header">
            <h1>"Compare "<a href=format!("/runs/{a}")>{format!("#{a}")}</a>" → "<a href=format!("/runs/{b}")>{format!("#{b}")}</a></h1>
            <div class="facts">
                <span><span class="muted">"baseline a "</span>{run_label(&run_a)}</span>
                <span><span class="muted">"b "</span>{run_label(&run_b)}</span>
                <a href=swap data-testid="swap">"swap a ↔ b"</a>
                <span class="muted">{format!("epsilon {epsilon:e}")}</span>
                <a href=q.api_href(a, b, ExportFormat::Csv) download data-testid="export-csv">"CSV"</a>
                <a href=q.api_href(a, b, ExportFormat::Json) rel="external" data-testid="export-json">"JSON"</a>
            </div>
            {living}
            {(!warnings.is_empty()).then(|| view! {
                <ul class="warnings" role="status" data-testid="compare-warnings">{warnings.into_iter().map(|w| view! { <li>{w.message}</li> }).collect_view()}</ul>
            })}
        </header>
    }
}

/// The interval, its method and what it says about the mean delta.
fn significance_lines(sig: &Significance) -> (String, &'static str, String) {
    let ci = match (sig.ci_low, sig.ci_high) {
        (Some(lo), Some(hi)) => format!("95% CI [{}, {}]", signed(lo, 3), signed(hi, 3)),
        _ => "too few pairs for an interval".into(),
    };
    let method = if sig.method == "normal" { "normal approximation" } else { "paired bootstrap" };
    let verdict = if sig.ci_low.is_none() {
        "not enough data"
    } else if sig.significant {
        "significant at 95%"
    } else {
        "not significant at 95%"
    };
    let mcnemar = match sig.mcnemar_p {
        Some(pv) => format!("McNemar p = {} ({} pass→fail, {} fail→pass)", format::p_value(pv), sig.pass_to_fail, sig.fail_to_pass),
        None => "no pass↔fail flips".into(),
    };
    (format!("{ci} · {method}, n = {}", sig.n_pairs), verdict, mcnemar)
}

/// How small a change these cases can see, what a reader's target delta would need, and how
/// many of the flagged changes are known-flaky cases.
#[component]
fn Power(sig: Significance, flaky: FlakyInCompare, q: CompareQuery) -> impl IntoView {
    let mdd = sig
        .min_detectable_delta
        .map(|d| format!("±{d:.3} mean score"))
        .unwrap_or_else(|| "too few pairs".into());
    let mdp = sig
        .min_detectable_pass_rate_delta
        .map(|d| format!("±{:.1} pts pass rate (McNemar)", d * 100.0))
        .unwrap_or_else(|| "no pass↔fail flips to size a pass-rate change".into());
    let needed = match (sig.target_delta, sig.cases_needed) {
        (Some(t), Some(n)) => Some(format!("A mean delta of {t} needs {n} cases (80% power, α = 0.05); this comparison has {}.", sig.n_pairs)),
        (Some(t), None) => Some(format!("Cannot size a delta of {t}: too few pairs to know the spread.")),
        _ => None,
    };
    // The form keeps the view and replaces only target_delta.
    let mut keep: Vec<(&'static str, String)> = Vec::new();
    match (&q.channels, q.a, q.b) {
        (Some(c), _, _) => keep.extend([("bench", c.bench.clone()), ("x", c.x.clone()), ("y", c.y.clone())]),
        (None, Some(a), Some(b)) => keep.extend([("a", a.to_string()), ("b", b.to_string())]),
        _ => {}
    }
    keep.extend(q.epsilon.map(|e| ("epsilon", e.to_string())));
    let flaky_line = format!(
        "{} of {} regressions and {} of {} improvements are known-flaky cases",
        flaky.regressions_flaky, flaky.regressions, flaky.improvements_flaky, flaky.improvements
    );
    view! {
        <section class="panel power" aria-label="What this comparison can detect" data-testid="power">
            <p><span class="muted">"Smallest change these cases detect (80% power, α = 0.05): "</span>
                <strong data-testid="min-detectable">{mdd}</strong>" · "<span data-testid="min-detectable-pass">{mdp}</span></p>
            <p data-testid="flaky-summary">{flaky_line}</p>
            {needed.map(|n| view! { <p data-testid="cases-needed">{n}</p> })}
            <form method="GET" action="/compare" class="filters" aria-label="Cases needed for a delta">
                {keep.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                <label>"Cases needed to detect a delta of "
                    <input name="target_delta" inputmode="decimal" size="6" value=sig.target_delta.map(|t| t.to_string()) data-testid="target-delta"/></label>
                <button type="submit">"Size"</button>
            </form>
        </section>
    }
}

/// A change of two optional values, or "—".
fn change(a: Option<f64>, b: Option<f64>, f: impl Fn(f64) -> String) -> String {
    a.zip(b).map(|(x, y)| f(y - x)).unwrap_or_else(|| "—".into())
}

#[component]
fn SummaryCards(agg: CompareAggregate, eps: f64, score_max: f64) -> impl IntoView {
    let sm = score_max;
    let sig = agg.significance.clone();
    let (interval, verdict, mcnemar) = significance_lines(&sig);
    let pass_delta = change(agg.pass_rate_a, agg.pass_rate_b, |d| format!("{} pts", signed(d * 100.0, 1)));
    let lat_delta = change(agg.mean_latency_ms_a, agg.mean_latency_ms_b, |d| format!("{} ms", signed(d, 0)));
    let cost_pct = agg.cost_delta_pct.map(|c| format!(" ({}%)", signed(c, 1))).unwrap_or_default();
    view! {
        <section class="cards compare-cards" aria-label="Summary" data-testid="compare-summary">
            <div class="card wide">
                <div class="label">"Mean score Δ (cases scored in both)"</div>
                <div class=format!("value {}", delta_class(Some(agg.mean_score_delta), eps)) data-testid="mean-delta">{signed(agg.mean_score_delta, 3)}</div>
                <div class="sub">{interval}</div>
                <div class=if sig.significant { "sub sig yes" } else { "sub sig" } data-testid="significance">{verdict}</div>
                <div class="sub muted">{mcnemar}</div>
            </div>
            <div class="card"><div class="label">"Mean score a → b"</div><div class="value">{format!("{} → {}", format::score(agg.mean_score_a, sm), format::score(agg.mean_score_b, sm))}</div></div>
            <div class="card"><div class="label">"Pass rate Δ"</div><div class="value" data-testid="pass-delta">{pass_delta}</div>
                <div class="sub muted">{format!("{} → {}", format::percent(agg.pass_rate_a), format::percent(agg.pass_rate_b))}</div></div>
            <div class="card"><div class="label">"Cost Δ"</div><div class=format!("value {}", if agg.cost_regression { "delta down" } else { "delta" })>{format!("{}{cost_pct}", format::usd_delta(agg.cost_delta_usd))}</div>
                <div class="sub muted">{format!("{} → {}", format::usd(agg.cost_a_usd), format::usd(agg.cost_b_usd))}</div>
                {agg.cost_regression.then(|| view! { <div class="sub"><span class="badge run-failed">"cost regression"</span></div> })}</div>
            <div class="card"><div class="label">"Mean latency Δ"</div><div class="value">{lat_delta}</div></div>
        </section>
    }
}

/// One link per flag with its count; the active one marked. Every link starts at page 1.
#[component]
fn FlagFilters(agg: CompareAggregate, q: CompareQuery) -> impl IntoView {
    let active = q.flags.first().copied();
    let to = |flag: Option<CaseFlag>| {
        q.href(|q| {
            q.flags = flag.into_iter().collect();
            q.page = 1;
            q.open = None;
        })
    };
    view! {
        <nav class="flag-filters" aria-label="Filter cases by flag" data-testid="flag-filters">
            <a href=to(None) aria-current=active.is_none().then_some("page")>{format!("all {}", agg.n_cases)}</a>
            {CaseFlag::ALL.into_iter().map(|f| {
                let name = f.as_str();
                view! { <a href=to(Some(f)) class=format!("flag f-{name}") aria-current=(active == Some(f)).then_some("page") data-testid=format!("flag-{name}")>
                    {name.replace('_', " ")}" "<strong>{agg.count(f)}</strong></a> }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn Transitions(t: VerdictTransitions) -> impl IntoView {
    // Rows and columns in `pass, fail, error, none` order: down-right of the diagonal is worse.
    let class = |i: usize, j: usize, n: i64| {
        if n == 0 {
            "num zero"
        } else if i == j {
            "num same"
        } else if (i == 0 && j > 0) || (i == 1 && j > 1) {
            "num worse"
        } else {
            "num better"
        }
    };
    view! {
        <section class="panel" aria-label="Verdict transitions">
            <h2>"Verdicts a → b"</h2>
            <table class="grid compact matrix" data-testid="transitions">
                <thead><tr><th>"a \\ b"</th>{t.verdicts.iter().map(|v| view! { <th class="num">{v.clone()}</th> }).collect_view()}</tr></thead>
                <tbody>{t.verdicts.iter().enumerate().map(|(i, va)| view! {
                    <tr><th>{va.clone()}</th>{t.counts[i].iter().enumerate().map(|(j, n)| view! { <td class=class(i, j, *n)>{*n}</td> }).collect_view()}</tr>
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}

/// The dimension deltas, saying which basis they have: paired by case, or each run's own
/// mean over its results (the default, which pairs nothing).
#[component]
fn Dimensions(deltas: Vec<DimensionDelta>, paired: bool, svg: Option<String>, eps: f64, score_max: f64) -> impl IntoView {
    let basis = if paired {
        "Means over the cases scored on the dimension in both runs."
    } else {
        "Each run's own mean of the dimension over its results (not paired by case)."
    };
    let count = move |d: &DimensionDelta| if paired { d.n.to_string() } else { format!("{} / {}", d.n_a, d.n_b) };
    view! {
        <section class="panel" aria-label="Dimension deltas" data-testid="dimension-deltas">
            <h2>"Dimensions (b − a)"</h2>
            {match svg {
                Some(svg) => view! { <div class="chart-box" inner_html=svg></div> }.into_any(),
                None => view! { <p class="muted">"No dimension scored in both runs."</p> }.into_any(),
            }}
            {(!deltas.is_empty()).then(|| view! {
                <p class="muted dimension-basis" data-testid="dimension-basis">{basis}</p>
                <details class="chart-values"><summary>"values"</summary>
                    <table class="grid compact">
                        <thead><tr><th>"Dimension"</th><th class="num">"a"</th><th class="num">"b"</th><th class="num">"Δ"</th>
                            <th class="num">{if paired { "cases" } else { "results a / b" }}</th></tr></thead>
                        <tbody>{deltas.iter().map(|d| view! {
                            <tr><td>{d.dimension.clone()}</td><td class="num">{format::score(d.mean_a, score_max)}</td><td class="num">{format::score(d.mean_b, score_max)}</td>
                                <td class=format!("num {}", delta_class(Some(d.delta), eps))>{signed(d.delta, 3)}</td><td class="num">{count(d)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                </details>
            })}
        </section>
    }
}
