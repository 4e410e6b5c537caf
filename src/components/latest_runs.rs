//! A bench's latest run on each channel: status, mean score, pass rate, cost, when (the home
//! page and the bench page).

use leptos::prelude::*;

use super::RunStatusBadge;
use crate::domain::format;
use crate::model::ChannelLatest;

#[component]
pub fn LatestRuns(latest: Vec<ChannelLatest>, score_max: f64) -> impl IntoView {
    view! {
        <ul class="latest">{latest.into_iter().map(|l| view! {
            <li data-testid="latest-run">
                <span class="channel">{l.channel.clone()}</span>
                <a href=format!("/runs/{}", l.run_id)>{format!("#{}", l.run_id)}</a>
                <RunStatusBadge status=l.status.clone()/>
                <span title="mean score">{format::score(l.mean_headline_score, score_max)}</span>
                <span title="pass rate">{format::percent(l.pass_rate)}</span>
                <span title="cost">{format::usd(l.total_cost_usd)}</span>
                <span class="muted">{format::short_ts(&l.triggered_at)}</span>
            </li>
        }).collect_view()}</ul>
    }
}
