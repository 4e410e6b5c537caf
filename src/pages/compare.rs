//! `/compare`: run b against baseline run a (`?a=&b=`), or up to eight runs (`?runs=1,2,3`),
//! with every view in the URL: `flag` (a flag or cost flag filter), `sort`, `page`, `epsilon`
//! and `open` (the case whose word diff is expanded). `/runs` submits `pick=` ids, which this
//! page orders oldest first, the oldest the baseline.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::domain::format;
use crate::model::compare::{CaseDiff, CompareCase, CompareReport, CostFlag, DiffOp, Flag, NWayReport, WordDiff};

const COST_REGRESSED: &str = "cost_regressed";
const COST_IMPROVED: &str = "cost_improved";
const COST_UNCHANGED: &str = "cost_unchanged";
use crate::model::query::urlencode;
use crate::model::Run;

/// Rows per page of the per-case table and of the N-way matrix.
pub const COMPARE_PAGE: usize = 100;
/// At most this many runs side by side.
pub const MAX_RUNS: usize = 8;

/// What the page shows, from its URL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct CompareParams {
    /// Pairwise: baseline a and run b.
    pub a: Option<i64>,
    pub b: Option<i64>,
    /// N-way: the baseline first.
    pub runs: Vec<i64>,
    pub flag: Option<String>,
    pub sort: Option<String>,
    pub page: usize,
    pub epsilon: Option<f64>,
    pub open: Option<String>,
}

impl CompareParams {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> CompareParams {
        let mut p = CompareParams { page: 1, ..Default::default() };
        let mut picks = Vec::new();
        let num = |v: &str| v.trim().parse::<i64>().ok();
        for (k, v) in pairs {
            match k {
                "a" => p.a = num(v),
                "b" => p.b = num(v),
                "runs" => p.runs = v.split(',').filter_map(num).collect(),
                "pick" => picks.extend(num(v)),
                "flag" if !v.is_empty() => p.flag = Some(v.to_string()),
                "sort" if !v.is_empty() => p.sort = Some(v.to_string()),
                "page" => p.page = v.parse::<usize>().ok().filter(|n| *n >= 1).unwrap_or(1),
                "epsilon" if !v.is_empty() => p.epsilon = v.parse::<f64>().ok(),
                "open" if !v.is_empty() => p.open = Some(v.to_string()),
                _ => {}
            }
        }
        // Picked on the run list: oldest (lowest id) first, as the baseline.
        if !picks.is_empty() {
            picks.sort_unstable();
            picks.dedup();
            if picks.len() == 2 {
                p.a = Some(picks[0]);
                p.b = Some(picks[1]);
            } else {
                p.runs = picks;
            }
        }
        if p.runs.len() == 2 && p.a.is_none() && p.b.is_none() {
            p.a = Some(p.runs[0]);
            p.b = Some(p.runs[1]);
            p.runs.clear();
        }
        p
    }

    pub fn is_nway(&self) -> bool {
        !self.runs.is_empty()
    }

    /// This view's URL with some parts changed.
    pub fn href(&self, f: impl FnOnce(&mut CompareParams)) -> String {
        let mut p = self.clone();
        f(&mut p);
        let mut q: Vec<String> = Vec::new();
        if p.is_nway() {
            q.push(format!("runs={}", p.runs.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",")));
        } else {
            if let Some(a) = p.a {
                q.push(format!("a={a}"));
            }
            if let Some(b) = p.b {
                q.push(format!("b={b}"));
            }
        }
        if let Some(f) = &p.flag {
            q.push(format!("flag={}", urlencode(f)));
        }
        if let Some(s) = &p.sort {
            q.push(format!("sort={}", urlencode(s)));
        }
        if let Some(e) = p.epsilon {
            q.push(format!("epsilon={e}"));
        }
        if p.page > 1 {
            q.push(format!("page={}", p.page));
        }
        if let Some(o) = &p.open {
            q.push(format!("open={}", urlencode(o)));
        }
        format!("/compare?{}", q.join("&"))
    }
}

/// Keep the rows of `flag` (a score flag or a cost flag) and order them: `delta` (default: the
/// worst regressions first, one-sided and missing cases after), `-delta`, `cost` (biggest cost
/// increase first) or `case`.
pub fn filter_and_sort(rows: &mut Vec<CompareCase>, flag: Option<&str>, sort: Option<&str>) {
    if let Some(f) = flag {
        rows.retain(|r| r.flag.as_str() == f || r.cost_flag.as_str() == f);
    }
    let by_delta = |x: &CompareCase, y: &CompareCase, desc: bool| {
        match (x.delta, y.delta) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal);
                if desc { o.reverse() } else { o }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| x.case_id.cmp(&y.case_id))
    };
    match sort.unwrap_or("delta") {
        "case" => rows.sort_by(|x, y| x.case_id.cmp(&y.case_id)),
        "-delta" => rows.sort_by(|x, y| by_delta(x, y, true)),
        "cost" => rows.sort_by(|x, y| {
            y.cost_delta.partial_cmp(&x.cost_delta).unwrap_or(std::cmp::Ordering::Equal).then_with(|| x.case_id.cmp(&y.case_id))
        }),
        _ => rows.sort_by(|x, y| by_delta(x, y, false)),
    }
}

/// The first row of `page` (from 1), a page past the end meaning the last one (the page
/// shows the same clamped page number).
pub fn page_start(page: usize, rows: usize) -> usize {
    let pages = rows.div_ceil(COMPARE_PAGE).max(1);
    (page.clamp(1, pages) - 1) * COMPARE_PAGE
}

/// A page of a pairwise comparison: the report with the page's rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparePage {
    pub report: CompareReport,
    /// Rows after the flag filter, before paging.
    pub rows_total: usize,
    pub dims_svg: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CompareOutcome<T> {
    Ok(T),
    /// A run is unknown (the page answers 404).
    NotFound(String),
    /// The URL asks something impossible (a bad epsilon or flag, too many runs).
    Invalid(String),
}

#[cfg(feature = "ssr")]
fn outcome<T>(e: crate::server::store::StoreError) -> Result<CompareOutcome<T>, ServerFnError> {
    use crate::server::store::StoreError;
    match e {
        StoreError::NotFound { what, .. } => Ok(CompareOutcome::NotFound(what)),
        StoreError::Invalid { message, .. } => Ok(CompareOutcome::Invalid(message)),
        e => Err(ServerFnError::new(e.to_string())),
    }
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_compare(params: CompareParams) -> Result<CompareOutcome<ComparePage>, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    let (Some(a), Some(b)) = (params.a, params.b) else {
        return Ok(CompareOutcome::Invalid("name two runs".into()));
    };
    let mut report = match store.compare(a, b, params.epsilon).await {
        Ok(r) => r,
        Err(e) => return outcome(e),
    };
    if let Some(f) = &params.flag {
        if Flag::parse(f).is_none() && ![COST_REGRESSED, COST_IMPROVED, COST_UNCHANGED].contains(&f.as_str()) {
            return Ok(CompareOutcome::Invalid(format!("unknown flag '{f}'")));
        }
    }
    let mut rows = std::mem::take(&mut report.per_case);
    filter_and_sort(&mut rows, params.flag.as_deref(), params.sort.as_deref());
    let rows_total = rows.len();
    let start = page_start(params.page, rows_total);
    report.per_case = rows.into_iter().skip(start).take(COMPARE_PAGE).collect();
    let deltas: Vec<(String, f64)> = report
        .aggregate
        .dimension_deltas
        .iter()
        .filter(|d| d.n > 0)
        .map(|d| (d.dimension.clone(), d.delta))
        .collect();
    let dims_svg = (!deltas.is_empty()).then(|| {
        let m = deltas.iter().map(|(_, d)| d.abs()).fold(0.0f64, f64::max).max(report.run_a.score_max * 0.02);
        crate::server::charts::bars(
            "Mean score change per dimension (b − a)",
            &deltas,
            (-m * 1.15, m * 1.15),
            (560, 30 + 26 * deltas.len() as u32),
        )
    });
    Ok(CompareOutcome::Ok(ComparePage { report, rows_total, dims_svg }))
}

/// A page of an N-way comparison: the report with the page's rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NWayPage {
    pub report: NWayReport,
    pub rows_total: usize,
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_compare_many(params: CompareParams) -> Result<CompareOutcome<NWayPage>, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    let mut flags = Vec::new();
    if let Some(f) = &params.flag {
        match Flag::parse(f) {
            Some(flag) => flags.push(flag),
            None => return Ok(CompareOutcome::Invalid(format!("unknown flag '{f}'"))),
        }
    }
    let mut report = match store.compare_many(&params.runs, params.epsilon, &flags).await {
        Ok(r) => r,
        Err(e) => return outcome(e),
    };
    let rows = std::mem::take(&mut report.rows);
    let rows_total = rows.len();
    let start = page_start(params.page, rows_total);
    report.rows = rows.into_iter().skip(start).take(COMPARE_PAGE).collect();
    Ok(CompareOutcome::Ok(NWayPage { report, rows_total }))
}

#[server]
pub async fn get_case_diff(a: i64, b: i64, case_id: String) -> Result<CaseDiff, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    store.compare_case_diff(a, b, &case_id).await.map_err(|e| ServerFnError::new(e.to_string()))
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(|q| CompareParams::from_pairs(q.into_iter().map(|(k, v)| (k.as_ref(), v)))));
    view! {
        <Title text="Compare · Assay"/>
        {move || {
            let p = params.get();
            if p.is_nway() {
                view! { <NWay params=params/> }.into_any()
            } else if p.a.is_some() && p.b.is_some() {
                view! { <Pairwise params=params/> }.into_any()
            } else {
                view! { <ChooseRuns/> }.into_any()
            }
        }}
    }
}

#[component]
fn ChooseRuns() -> impl IntoView {
    view! {
        <h1>"Compare runs"</h1>
        <p class="muted">"Tick two runs on the "<a href="/runs">"run list"</a>", use a run's “vs previous” link, a bench's “channel vs channel” link, or name them here."</p>
        <Form method="GET" action="/compare" attr:class="filters" attr:aria-label="Choose runs">
            <label>"Baseline run (a)" <input name="a" inputmode="numeric" required/></label>
            <label>"Run (b)" <input name="b" inputmode="numeric" required/></label>
            <button type="submit">"Compare"</button>
        </Form>
        <Form method="GET" action="/compare" attr:class="filters" attr:aria-label="Compare several runs">
            <label>"Several runs, baseline first" <input name="runs" placeholder="12, 15, 18"/></label>
            <button type="submit">"Compare"</button>
        </Form>
    }
}

#[component]
fn Problem(outcome_not_found: Option<String>, invalid: Option<String>) -> impl IntoView {
    if outcome_not_found.is_some() {
        super::respond_not_found();
    }
    view! {
        <h1>{if outcome_not_found.is_some() { "Run not found" } else { "Cannot compare" }}</h1>
        <p class="error" role="alert">{outcome_not_found.or(invalid)}</p>
        <p><a href="/compare">"Choose runs"</a>" · "<a href="/runs">"All runs"</a></p>
    }
}

/// A comparison's answer as a view: the body, or what went wrong (unknown runs answer 404).
fn outcome_view<T>(r: Result<CompareOutcome<T>, ServerFnError>, body: impl FnOnce(T) -> AnyView) -> AnyView {
    match r {
        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        Ok(CompareOutcome::NotFound(m)) => view! { <Problem outcome_not_found=Some(m) invalid=None/> }.into_any(),
        Ok(CompareOutcome::Invalid(m)) => view! { <Problem outcome_not_found=None invalid=Some(m)/> }.into_any(),
        Ok(CompareOutcome::Ok(page)) => body(page),
    }
}

fn run_label(r: &Run) -> String {
    format!("#{} · {} · {} · wf v{} · judge v{}", r.id, r.bench_name, r.channel, r.workflow_version_number, r.judge_version_number)
}

/// A change with its sign (a real minus sign, like the rest of the dashboard).
fn signed(v: f64, digits: usize) -> String {
    let s = format!("{:.digits$}", v.abs());
    if s.bytes().all(|b| b == b'0' || b == b'.') {
        s
    } else if v > 0.0 {
        format!("+{s}")
    } else {
        format!("−{s}")
    }
}

fn delta_class(d: Option<f64>, eps: f64) -> &'static str {
    match d {
        Some(x) if x > eps => "delta up",
        Some(x) if x < -eps => "delta down",
        _ => "delta",
    }
}

#[component]
fn Pairwise(params: Memo<CompareParams>) -> impl IntoView {
    // The report is recomputed when the runs, epsilon, flag, sort or page change; opening a
    // diff changes only `open`, which does not refetch.
    let key = Memo::new(move |_| params.with(|p| CompareParams { open: None, ..p.clone() }));
    let data = Resource::new(move || key.get(), get_compare);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            {move || data.get().map(|r| outcome_view(r, |page| view! { <PairwiseBody page=page params=params/> }.into_any()))}
        </Transition>
    }
}

#[component]
fn PairwiseBody(page: ComparePage, params: Memo<CompareParams>) -> impl IntoView {
    let p = params.get_untracked();
    let r = page.report;
    let agg = r.aggregate.clone();
    let sig = agg.significance.clone();
    let sm = r.run_a.score_max;
    let eps = r.epsilon;
    let (a, b) = (r.run_a_id, r.run_b_id);
    let swap = p.href(|q| {
        q.a = Some(b);
        q.b = Some(a);
        q.page = 1;
        q.open = None;
    });
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
    let pass_delta = match (agg.pass_rate_a, agg.pass_rate_b) {
        (Some(x), Some(y)) => format!("{} pts", signed((y - x) * 100.0, 1)),
        _ => "—".into(),
    };
    let lat_delta = match (agg.mean_latency_ms_a, agg.mean_latency_ms_b) {
        (Some(x), Some(y)) => format!("{} ms", signed(y - x, 0)),
        _ => "—".into(),
    };
    let cost_pct = agg.cost_delta_pct.map(|c| format!(" ({}%)", signed(c, 1))).unwrap_or_default();
    let mcnemar = match sig.mcnemar_p {
        Some(pv) => format!("McNemar p = {} ({} pass→fail, {} fail→pass)", fmt_p(pv), sig.pass_to_fail, sig.fail_to_pass),
        None => "no pass↔fail flips".into(),
    };
    let flag_counts: Vec<(&'static str, i64)> = vec![
        ("regressed", agg.n_regressed),
        ("improved", agg.n_improved),
        ("unchanged", agg.n_unchanged),
        ("missing_a", agg.n_missing_a),
        ("missing_b", agg.n_missing_b),
        (COST_REGRESSED, agg.n_cost_regressed),
        (COST_IMPROVED, agg.n_cost_improved),
        (COST_UNCHANGED, agg.n_cost_unchanged),
    ];
    let active = p.flag.clone();
    let pages = page.rows_total.div_ceil(COMPARE_PAGE).max(1);
    let cur = p.page.min(pages);
    let prev = (cur > 1).then(|| p.href(|q| { q.page = cur - 1; q.open = None; }));
    let next = (cur < pages).then(|| p.href(|q| { q.page = cur + 1; q.open = None; }));
    let sort_link = {
        let p = p.clone();
        move |key: &'static str, label: &'static str| {
            let current = p.sort.clone().unwrap_or_else(|| "delta".into());
            let next = if key == "delta" && current == "delta" { "-delta" } else { key };
            let arrow = match (key, current.as_str()) {
                ("delta", "delta") => " ↑",
                ("delta", "-delta") => " ↓",
                (k, c) if k == c => " ↓",
                _ => "",
            };
            let href = p.href(|q| {
                q.sort = (next != "delta").then(|| next.to_string());
                q.page = 1;
                q.open = None;
            });
            view! { <a href=href>{format!("{label}{arrow}")}</a> }
        }
    };
    let csv = format!("/api/runs/{a}/compare/{b}?format=csv{}", p.epsilon.map(|e| format!("&epsilon={e}")).unwrap_or_default());
    let json = format!("/api/runs/{a}/compare/{b}{}", p.epsilon.map(|e| format!("?epsilon={e}")).unwrap_or_default());
    let dims = agg.dimension_deltas.clone();
    let transitions = agg.transitions.clone();
    let rows = r.per_case.clone();
    let total = page.rows_total;
    let first_row = (cur - 1) * COMPARE_PAGE + 1;
    view! {
        <Title text=format!("Compare #{a} → #{b} · Assay")/>
        <header class="run-head" data-testid="compare-header">
            <h1>"Compare "<a href=format!("/runs/{a}")>{format!("#{a}")}</a>" → "<a href=format!("/runs/{b}")>{format!("#{b}")}</a></h1>
            <div class="facts">
                <span><span class="muted">"baseline a "</span>{run_label(&r.run_a)}</span>
                <span><span class="muted">"b "</span>{run_label(&r.run_b)}</span>
                <a href=swap data-testid="swap">"swap a ↔ b"</a>
                <span class="muted">{format!("epsilon {eps:e}")}</span>
                <a href=csv download data-testid="export-csv">"CSV"</a>
                <a href=json rel="external" data-testid="export-json">"JSON"</a>
            </div>
            {(!r.warnings.is_empty()).then(|| view! {
                <ul class="warnings" role="status" data-testid="compare-warnings">{r.warnings.iter().map(|w| view! { <li>{w.message.clone()}</li> }).collect_view()}</ul>
            })}
        </header>
        <section class="cards compare-cards" aria-label="Summary" data-testid="compare-summary">
            <div class="card wide">
                <div class="label">"Mean score Δ (cases scored in both)"</div>
                <div class=format!("value {}", delta_class(Some(agg.mean_score_delta), eps)) data-testid="mean-delta">{signed(agg.mean_score_delta, 3)}</div>
                <div class="sub">{format!("{ci} · {method}, n = {}", sig.n_pairs)}</div>
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
        <nav class="flag-filters" aria-label="Filter cases by flag" data-testid="flag-filters">
            <a href=p.href(|q| { q.flag = None; q.page = 1; q.open = None; }) aria-current=active.is_none().then_some("page")>{format!("all {}", agg.n_cases)}</a>
            {flag_counts.into_iter().map(|(f, n)| {
                let href = p.href(|q| { q.flag = Some(f.to_string()); q.page = 1; q.open = None; });
                let cur = active.as_deref() == Some(f);
                view! { <a href=href class=format!("flag f-{f}") aria-current=cur.then_some("page") data-testid=format!("flag-{f}")>
                    {f.replace('_', " ")}" "<strong>{n}</strong></a> }
            }).collect_view()}
        </nav>
        <div class="two-col">
            <section class="panel" aria-label="Verdict transitions">
                <h2>"Verdicts a → b"</h2>
                <table class="grid compact matrix" data-testid="transitions">
                    <thead><tr><th>"a \\ b"</th>{transitions.verdicts.iter().map(|v| view! { <th class="num">{v.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>{transitions.verdicts.iter().enumerate().map(|(i, va)| view! {
                        <tr><th>{va.clone()}</th>{transitions.counts[i].iter().enumerate().map(|(j, n)| {
                            let cls = if *n == 0 { "num zero" } else if i == j { "num same" } else if (i == 0 && j > 0) || (i == 1 && j > 1) { "num worse" } else { "num better" };
                            view! { <td class=cls>{*n}</td> }
                        }).collect_view()}</tr>
                    }).collect_view()}</tbody>
                </table>
            </section>
            <section class="panel" aria-label="Dimension deltas" data-testid="dimension-deltas">
                <h2>"Dimensions (b − a)"</h2>
                {match page.dims_svg.clone() {
                    Some(svg) => view! { <div class="chart-box" inner_html=svg></div> }.into_any(),
                    None => view! { <p class="muted">"No dimension scored in both runs."</p> }.into_any(),
                }}
                {(!dims.is_empty()).then(|| view! {
                    <details class="chart-values"><summary>"values"</summary>
                        <table class="grid compact">
                            <thead><tr><th>"Dimension"</th><th class="num">"a"</th><th class="num">"b"</th><th class="num">"Δ"</th><th class="num">"n"</th></tr></thead>
                            <tbody>{dims.iter().map(|d| view! {
                                <tr><td>{d.dimension.clone()}</td><td class="num">{format::score(d.mean_a, sm)}</td><td class="num">{format::score(d.mean_b, sm)}</td>
                                    <td class=format!("num {}", delta_class(Some(d.delta), eps))>{signed(d.delta, 3)}</td><td class="num">{d.n}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    </details>
                })}
            </section>
        </div>
        <section aria-label="Cases" class="panel">
            <h2>"Cases "<span class="muted">{if total == 0 { "none".to_string() } else { format!("{first_row}–{} of {total}", first_row + rows.len() - 1) }}</span></h2>
            <table class="grid" data-testid="compare-table">
                <thead><tr>
                    <th>{sort_link("case", "Case")}</th><th>"Flag"</th><th>"a"</th><th>"b"</th>
                    <th class="num">"Score a"</th><th class="num">"Score b"</th><th class="num">{sort_link("delta", "Δ")}</th>
                    <th class="num">{sort_link("cost", "Cost Δ")}</th><th>"Diff"</th>
                </tr></thead>
                <tbody>{rows.into_iter().map(|c| view! { <CaseRows c=c params=params a=a b=b score_max=sm eps=eps/> }).collect_view()}</tbody>
            </table>
            <nav class="pager" aria-label="Case pages">
                {prev.map(|h| view! { <a href=h>"« Previous"</a> })}
                <span class="muted">{format!("page {cur} of {pages}")}</span>
                {next.map(|h| view! { <a href=h rel="next" data-testid="compare-next">"Next »"</a> })}
            </nav>
        </section>
    }
}

fn fmt_p(p: f64) -> String {
    if p < 1e-4 { format!("{p:.1e}") } else { format!("{p:.4}") }
}

#[component]
fn CaseRows(c: CompareCase, params: Memo<CompareParams>, a: i64, b: i64, score_max: f64, eps: f64) -> impl IntoView {
    let case_id = c.case_id.clone();
    let cid = case_id.clone();
    let is_open = Memo::new(move |_| params.with(|p| p.open.as_deref() == Some(cid.as_str())));
    let cid = case_id.clone();
    let toggle = move || params.with(|p| {
        let open = p.open.as_deref() == Some(cid.as_str());
        p.href(|q| q.open = if open { None } else { Some(cid.clone()) })
    });
    let link = |run: i64, present: bool, status: Option<crate::domain::ResultStatus>, verdict: Option<crate::domain::Verdict>| {
        let status = status.map(|s| s.as_str().to_string());
        let verdict = verdict.map(|v| v.as_str().to_string());
        if present {
            let v = verdict.unwrap_or_else(|| "—".into());
            let st = status.unwrap_or_default();
            view! { <a href=super::case::case_href(run, &case_id, 1) title=format!("this case in run #{run}")>
                <span class=format!("st st-{st}")>{st.clone()}</span>" "
                <span class=format!("verdict v-{v}")>{v.clone()}</span></a> }.into_any()
        } else {
            view! { <span class="muted">"absent"</span> }.into_any()
        }
    };
    let cost = if c.cost_flag == CostFlag::CostUnchanged { String::new() } else { format::usd_delta(c.cost_delta) };
    let cid = case_id.clone();
    view! {
        <tr data-testid="compare-row" class=move || if is_open.get() { "open" } else { "" }>
            <td><span title=c.case_id.clone()>{c.case_label.clone()}</span></td>
            <td><span class=format!("flag f-{}", c.flag.as_str())>{c.flag.as_str().replace('_', " ")}</span></td>
            <td>{link(a, c.epochs_a > 0, c.status_a, c.verdict_a)}</td>
            <td>{link(b, c.epochs_b > 0, c.status_b, c.verdict_b)}</td>
            <td class="num">{format::score(c.score_a, score_max)}</td>
            <td class="num">{format::score(c.score_b, score_max)}</td>
            <td class=format!("num {}", delta_class(c.delta, eps))>{c.delta.map(|d| signed(d, 3)).unwrap_or_else(|| "—".into())}</td>
            <td class=format!("num cost {}", c.cost_flag.as_str())>{cost}</td>
            <td><a href=toggle data-testid="diff-toggle" aria-expanded=move || is_open.get().to_string()>{move || if is_open.get() { "hide" } else { "diff" }}</a></td>
        </tr>
        {move || is_open.get().then(|| view! { <tr class="diff-row"><td colspan="9"><DiffView a=a b=b case_id=cid.clone()/></td></tr> })}
    }
}

#[component]
fn DiffView(a: i64, b: i64, case_id: String) -> impl IntoView {
    let diff = Resource::new(move || (a, b, case_id.clone()), |(a, b, c)| get_case_diff(a, b, c));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Computing the diff…"</p> }>
            {move || diff.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(d) => view! {
                    <div class="diff-grid" data-testid="case-diff">
                        <div><h3>"Expected"</h3><pre>{d.expected.clone().unwrap_or_else(|| "—".into())}</pre></div>
                        <div><h3>"Output a vs expected"</h3><Words diff=d.expected_vs_a.clone() fallback=d.output_a.clone() show=DiffOp::Insert/></div>
                        <div><h3>"Output b vs expected"</h3><Words diff=d.expected_vs_b.clone() fallback=d.output_b.clone() show=DiffOp::Insert/></div>
                    </div>
                    <div class="diff-ab"><h3>"a → b"</h3><Words diff=d.a_vs_b.clone() fallback=d.output_b.clone() show=DiffOp::Equal/></div>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// A word diff as marked text. `show = Insert`: the new text with its insertions marked (and
/// deletions struck through); `Equal`: both sides inline.
#[component]
fn Words(diff: Option<WordDiff>, fallback: Option<String>, show: DiffOp) -> impl IntoView {
    let _ = show;
    match diff {
        None => view! { <pre class="muted">{fallback.unwrap_or_else(|| "—".into())}</pre> }.into_any(),
        Some(d) if d.too_large => view! {
            <p class="muted" data-testid="diff-too-large">"Too large to diff inline; shown as is."</p>
            <pre>{fallback.unwrap_or_default()}</pre>
        }.into_any(),
        Some(d) => view! {
            <pre class="words" data-testid="word-diff">{d.segments.into_iter().map(|s| match s.op {
                DiffOp::Equal => view! { <span>{s.text}</span> }.into_any(),
                DiffOp::Insert => view! { <ins>{s.text}</ins> }.into_any(),
                DiffOp::Delete => view! { <del>{s.text}</del> }.into_any(),
            }).collect_view()}</pre>
            {d.timed_out.then(|| view! { <p class="muted">"Time limit reached: the diff may be coarser than the smallest one."</p> })}
        }.into_any(),
    }
}

#[component]
fn NWay(params: Memo<CompareParams>) -> impl IntoView {
    let data = Resource::new(move || params.get(), get_compare_many);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            {move || data.get().map(|r| outcome_view(r, |page| view! { <NWayBody page=page params=params.get_untracked()/> }.into_any()))}
        </Transition>
    }
}

#[component]
fn NWayBody(page: NWayPage, params: CompareParams) -> impl IntoView {
    let p = params;
    let r = page.report;
    let base = r.runs.first().map(|s| s.run.clone());
    let sm = base.as_ref().map(|r| r.score_max).unwrap_or(1.0);
    let eps = r.epsilon;
    let ids = r.run_ids.clone();
    let active = p.flag.clone();
    let pages = page.rows_total.div_ceil(COMPARE_PAGE).max(1);
    let cur = p.page.min(pages);
    let prev = (cur > 1).then(|| p.href(|q| q.page = cur - 1));
    let next = (cur < pages).then(|| p.href(|q| q.page = cur + 1));
    view! {
        <Title text=format!("Compare {} runs · Assay", ids.len())/>
        <header class="run-head" data-testid="compare-header">
            <h1>{format!("Compare {} runs", ids.len())}</h1>
            <div class="facts"><span class="muted">"the first run is the baseline; every other column is flagged against it"</span></div>
            {(!r.warnings.is_empty()).then(|| view! {
                <ul class="warnings" role="status" data-testid="compare-warnings">{r.warnings.iter().map(|w| view! { <li>{format!("#{}: {}", w.run_id, w.message)}</li> }).collect_view()}</ul>
            })}
        </header>
        <nav class="flag-filters" aria-label="Filter cases by flag" data-testid="flag-filters">
            <a href=p.href(|q| { q.flag = None; q.page = 1; }) aria-current=active.is_none().then_some("page")>"all"</a>
            {Flag::ALL.iter().map(|f| f.as_str()).map(|f| {
                let href = p.href(|q| { q.flag = Some(f.to_string()); q.page = 1; });
                let n: i64 = r.runs.iter().skip(1).map(|s| match f {
                    "improved" => s.n_improved, "regressed" => s.n_regressed, "unchanged" => s.n_unchanged,
                    "missing_a" => s.n_missing_a, _ => s.n_missing_b,
                }).sum();
                view! { <a href=href class=format!("flag f-{f}") aria-current=(active.as_deref() == Some(f)).then_some("page") data-testid=format!("flag-{f}")
                    title="summed over the compared columns">{f.replace('_', " ")}" "<strong>{n}</strong></a> }
            }).collect_view()}
        </nav>
        <section class="panel" aria-label="Cases by run">
            <table class="grid nway" data-testid="nway-table">
                <thead>
                    <tr><th>"Case"</th>{r.runs.iter().enumerate().map(|(i, s)| view! {
                        <th class="num"><a href=format!("/runs/{}", s.run.id)>{format!("#{}", s.run.id)}</a>
                            <span class="muted sub">{format!("{} · wf v{}", s.run.channel, s.run.workflow_version_number)}</span>
                            {(i == 0).then(|| view! { <span class="tag">"baseline"</span> })}</th>
                    }).collect_view()}</tr>
                    <tr class="summary" data-testid="nway-summary"><th>"mean · Δ · pass rate · cost"</th>{r.runs.iter().enumerate().map(|(i, s)| view! {
                        <td class="num">
                            <div>{format::score(s.mean_score, sm)}</div>
                            {(i > 0).then(|| view! { <div class=delta_class(Some(s.mean_score_delta), eps)>{signed(s.mean_score_delta, 3)}</div>
                                <div class="muted sub">{format!("▲{} ▼{}", s.n_improved, s.n_regressed)}</div> })}
                            <div class="muted sub">{format::percent(s.pass_rate)}" · "{format::usd(s.cost_usd)}</div>
                        </td>
                    }).collect_view()}</tr>
                </thead>
                <tbody>{r.rows.into_iter().map(|row| {
                    let case_id = row.case_id.clone();
                    view! { <tr data-testid="nway-row"><td title=row.case_id.clone()>{row.case_label.clone()}</td>
                        {row.cells.into_iter().zip(ids.iter()).map(|(c, run)| {
                            let shade = c.delta.map(|d| (d.abs() / sm * 100.0 * 2.0).clamp(8.0, 60.0)).unwrap_or(0.0);
                            let colour = match c.delta { Some(d) if d > eps => "var(--ok)", Some(d) if d < -eps => "var(--fail)", _ => "transparent" };
                            let style = format!("background: color-mix(in srgb, {colour} {shade:.0}%, transparent)");
                            let flag = c.flag.map(|f| f.as_str()).unwrap_or("baseline");
                            view! { <td class=format!("num cell f-{flag}") style=style title=flag>
                                {if c.status.is_some() {
                                    view! { <a href=super::case::case_href(*run, &case_id, 1)>{format::score(c.score, sm)}</a> }.into_any()
                                } else {
                                    view! { <span class="muted">"absent"</span> }.into_any()
                                }}
                                {c.delta.filter(|d| d.abs() > eps).map(|d| view! { <span class="sub">{format!(" {}", signed(d, 2))}</span> })}
                            </td> }
                        }).collect_view()}
                    </tr> }
                }).collect_view()}</tbody>
            </table>
            <nav class="pager" aria-label="Case pages">
                {prev.map(|h| view! { <a href=h>"« Previous"</a> })}
                <span class="muted">{format!("page {cur} of {pages} · {} cases", page.rows_total)}</span>
                {next.map(|h| view! { <a href=h rel="next">"Next »"</a> })}
            </nav>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> CompareParams {
        let pairs: Vec<(String, String)> = q
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        CompareParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    #[test]
    fn picks_become_a_baseline_and_a_run_or_an_nway_view() {
        let p = params("pick=9&pick=4");
        assert_eq!((p.a, p.b, p.runs.clone()), (Some(4), Some(9), vec![]));
        let p = params("pick=9&pick=4&pick=7");
        assert_eq!((p.a, p.b, p.runs.clone()), (None, None, vec![4, 7, 9]));
        let p = params("runs=3,1");
        assert_eq!((p.a, p.b), (Some(3), Some(1)), "two runs named in order keep their order");
        let p = params("runs=5,1,2&flag=regressed&page=2");
        assert!(p.is_nway());
        assert_eq!(p.href(|q| q.page = 1), "/compare?runs=5,1,2&flag=regressed");
    }

    #[test]
    fn pages_past_the_end_show_the_last_one() {
        assert_eq!(page_start(1, 250), 0);
        assert_eq!(page_start(3, 250), 200);
        assert_eq!(page_start(9, 250), 200);
        assert_eq!(page_start(0, 250), 0);
        assert_eq!(page_start(4, 0), 0);
    }

    #[test]
    fn signed_numbers_use_a_real_minus_and_no_signed_zero() {
        assert_eq!(signed(-0.142857, 3), "−0.143");
        assert_eq!(signed(0.25, 2), "+0.25");
        assert_eq!(signed(-0.0001, 3), "0.000");
    }

    #[test]
    fn hrefs_round_trip() {
        let p = params("a=1&b=2&flag=cost_regressed&sort=-delta&epsilon=0.01&page=3&open=x%2Fy");
        assert_eq!(p.open.as_deref(), Some("x%2Fy"), "the router decodes values; pairs here are raw");
        let p = CompareParams { open: Some("x/y é".into()), ..p };
        let href = p.href(|_| {});
        assert_eq!(href, "/compare?a=1&b=2&flag=cost_regressed&sort=-delta&epsilon=0.01&page=3&open=x%2Fy%20%C3%A9");
    }

    fn case(id: &str, delta: Option<f64>, flag: Flag, cost_flag: CostFlag, cost_delta: f64) -> CompareCase {
        CompareCase {
            case_id: id.into(),
            case_label: id.into(),
            score_a: None,
            score_b: None,
            delta,
            flag,
            status_a: None,
            status_b: None,
            verdict_a: None,
            verdict_b: None,
            epochs_a: 1,
            epochs_b: 1,
            cost_a: 0.0,
            cost_b: 0.0,
            cost_delta,
            cost_flag,
            dimensions: vec![],
        }
    }

    #[test]
    fn rows_sort_worst_first_and_filter_by_either_flag() {
        let rows = vec![
            case("a", Some(0.2), Flag::Improved, CostFlag::CostUnchanged, 0.0),
            case("b", Some(-0.5), Flag::Regressed, CostFlag::CostRegressed, 0.3),
            case("c", None, Flag::MissingB, CostFlag::CostImproved, -0.1),
            case("d", Some(-0.1), Flag::Regressed, CostFlag::CostUnchanged, 0.0),
            case("e", Some(0.0), Flag::Unchanged, CostFlag::CostRegressed, 0.1),
        ];
        let ids = |rows: &[CompareCase]| rows.iter().map(|r| r.case_id.clone()).collect::<Vec<_>>();
        let mut r = rows.clone();
        filter_and_sort(&mut r, None, None);
        assert_eq!(ids(&r), vec!["b", "d", "e", "a", "c"]);
        let mut r = rows.clone();
        filter_and_sort(&mut r, None, Some("-delta"));
        assert_eq!(ids(&r), vec!["a", "e", "d", "b", "c"]);
        let mut r = rows.clone();
        filter_and_sort(&mut r, Some("regressed"), None);
        assert_eq!(ids(&r), vec!["b", "d"]);
        let mut r = rows.clone();
        filter_and_sort(&mut r, Some(COST_REGRESSED), Some("cost"));
        assert_eq!(ids(&r), vec!["b", "e"]);
        let mut r = rows;
        filter_and_sort(&mut r, None, Some("case"));
        assert_eq!(ids(&r), vec!["a", "b", "c", "d", "e"]);
    }
}
