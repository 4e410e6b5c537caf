//! The run page of a running run, live: the run and its stats as the latest `progress` event
//! left them, a progress panel (results in, cases done of the selection, rate, ETA, a "live"
//! mark) and the stats cards. The results table refetches the page it shows after a change, so
//! new rows land where its filter, sort and page put them; on the end of the run the page
//! fetches its view again and settles into the finished run (recounted aggregates, charts).

use leptos::prelude::*;

use crate::components::live::{is_open, use_progress_stream};
use crate::components::LiveMark;
use crate::domain::{format, progress};
use crate::model::live::Progress;
use crate::model::{Run, RunStats};

/// The run page's live state.
#[derive(Clone, Copy)]
pub struct LiveRun {
    pub run: RwSignal<Run>,
    pub stats: RwSignal<RunStats>,
    pub connected: ReadSignal<bool>,
    /// Bumped (at most about once a second) after the run's results changed.
    pub results_changed: RwSignal<u64>,
    /// `(time of latest result, cases done)` on the server's clock, for the rate.
    samples: RwSignal<Vec<(i64, i64)>>,
}

fn done(run: &Run) -> i64 {
    run.total_cases - run.missing
}

/// Follow `run` while it runs; `on_finished` is called once it has finished.
pub fn use_live_run(run: Run, stats: RunStats, on_finished: Callback<()>) -> LiveRun {
    let id = run.id;
    let mut initial = Vec::new();
    if let Some(t) = format::parse_ts(&run.triggered_at) {
        progress::push_sample(&mut initial, t, 0);
    }
    if let Some(t) = run.last_result_at.as_deref().and_then(format::parse_ts) {
        progress::push_sample(&mut initial, t, done(&run));
    }
    let open = RwSignal::new(is_open(&run.status));
    let live_run = RwSignal::new(run);
    let stats = RwSignal::new(stats);
    let samples = RwSignal::new(initial);
    let results_changed = RwSignal::new(0u64);
    let refresh = throttled(results_changed);
    let connected = use_progress_stream(vec![id], open.into(), move |p: Progress| {
        if p.run_id != id {
            return;
        }
        let moved = live_run.with_untracked(|r| r.last_result_at != p.run.last_result_at);
        if let Some(t) = p.run.last_result_at.as_deref().and_then(format::parse_ts) {
            samples.update(|s| progress::push_sample(s, t, done(&p.run)));
        }
        let finished = !is_open(&p.status);
        live_run.set(p.run);
        stats.set(p.stats);
        if finished {
            open.set(false);
            on_finished.run(());
        } else if moved {
            refresh();
        }
    });
    LiveRun { run: live_run, stats, connected, results_changed, samples }
}

/// A bump of `tick` now, then at most one more per second however many calls come in between
/// (a fast run must not refetch its results page for every batch).
fn throttled(tick: RwSignal<u64>) -> impl Fn() + Clone + 'static {
    let waiting = RwSignal::new(false);
    let dirty = RwSignal::new(false);
    move || {
        if waiting.get_untracked() {
            dirty.set(true);
            return;
        }
        tick.update(|t| *t += 1);
        waiting.set(true);
        set_timeout(
            move || {
                waiting.set(false);
                if dirty.get_untracked() {
                    dirty.set(false);
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_secs(1),
        );
    }
}

/// A running run's progress: cases done of the selection, results in, the recent rate and the
/// time left at that rate, with a "live" mark while the stream is connected.
#[component]
pub fn LiveProgress(live: LiveRun) -> impl IntoView {
    move || {
        let run = live.run.get();
        if !is_open(&run.status) {
            return None;
        }
        let done = done(&run);
        let rate = progress::rate(&live.samples.get());
        let eta = progress::eta_ms(run.missing, rate);
        let n = run.results_count;
        let text = format!("{n} result{} in · {done} of {} cases", if n == 1 { "" } else { "s" }, run.total_cases);
        Some(view! {
            <section class="live-progress" aria-label="Progress" data-testid="live-progress">
                <LiveMark connected=live.connected testid="live-mark"/>
                <progress max=run.total_cases.max(1) value=done aria-label="cases done"></progress>
                <span data-testid="progress-text">{text}</span>
                <span class="muted" data-testid="progress-rate">{rate.map(|r| format!("{r:.1} cases/s")).unwrap_or_else(|| "— cases/s".into())}</span>
                <span class="muted" data-testid="progress-eta">{match eta {
                    Some(ms) => format!("ETA {}", format::duration(ms)),
                    None => "ETA —".into(),
                }}</span>
            </section>
        })
    }
}

/// The run page's stats cards, current with the latest event.
#[component]
pub fn StatsCards(live: LiveRun) -> impl IntoView {
    let card = |label: &'static str, value: String| {
        view! { <div class="card"><div class="label">{label}</div><div class="value">{value}</div></div> }
    };
    view! {
        <section class="cards" aria-label="Stats" data-testid="run-stats">
            {move || {
                let (s, cache_hits, sm) = (live.stats.get(), live.run.with(|r| r.cache_hit_cases), live.run.with(|r| r.score_max));
                let ms = |v: Option<i64>| v.map(format::duration).unwrap_or_else(|| "—".into());
                view! {
                    {card("Mean score", format::score(s.avg_score, sm))}
                    {card("Pass rate", format::percent(s.pass_rate))}
                    {card("Passed", s.passed.to_string())}
                    {card("Failed", s.failed.to_string())}
                    {card("Errored", s.errored.to_string())}
                    {card("Skipped", s.skipped.to_string())}
                    {card("Missing", s.missing.to_string())}
                    {card("p50 latency", ms(s.p50_latency_ms))}
                    {card("p95 latency", ms(s.p95_latency_ms))}
                    {card("Tokens", s.total_tokens.to_string())}
                    {card("Cost", format::usd(s.total_cost))}
                    {card("Cache hits", cache_hits.to_string())}
                }
            }}
        </section>
    }
}
