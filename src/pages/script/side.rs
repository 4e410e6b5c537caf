//! The version page's side and foot: the script's versions, its channels with their publish
//! history, and the runs that used this version.

use leptos::prelude::*;

use super::diff_href;
use crate::components::{RunStatusBadge, SampledTag, ScoreCell, VersionLink};
use crate::domain::format;
use crate::model::query::version_href;
use crate::model::{Channel, VersionEntry, VersionRun};

#[component]
pub fn VersionList(entries: Vec<VersionEntry>, kind: String, name: String, current: i64) -> impl IntoView {
    view! {
        <section class="panel" aria-label="Versions">
            <h2>{format!("Versions ({})", entries.len())}</h2>
            <ol class="versions" data-testid="versions">
                {entries.into_iter().map(|e| {
                    let n = e.number;
                    let here = n == current;
                    view! {
                        <li class:current=here data-testid="version-entry">
                            <a class="vnum" href=version_href(&kind, &name, n) aria-current=here.then_some("page")>{format!("v{n}")}</a>
                            <span class="vlabel" title=e.label.clone()>{e.label.clone()}</span>
                            <span class="vmeta">
                                <span class="vdate muted" title=e.published_by.clone().map(|b| format!("published by {b}"))>{format::short_ts(&e.created_at)}</span>
                                {e.channels.into_iter().map(|c| view! { <span class="chan">{c}</span> }).collect_view()}
                            </span>
                            {if here {
                                view! { <span class="vdiff muted">"this"</span> }.into_any()
                            } else {
                                view! {
                                    <a class="vdiff" href=diff_href(&kind, &name, current, n) aria-label=format!("Diff against v{n}")>"diff"</a>
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn ChannelList(channels: Vec<Channel>, kind: String, name: String, current: i64) -> impl IntoView {
    if channels.is_empty() {
        return view! {
            <section class="panel" aria-label="Channels"><h2>"Channels"</h2><p class="muted">"No channels."</p></section>
        }
        .into_any();
    }
    view! {
        <section class="panel" aria-label="Channels">
            <h2>"Channels"</h2>
            <ul class="channels" data-testid="channels">
                {channels.into_iter().map(|c| {
                    let here = c.version_number == current;
                    let moves = c.history.len();
                    let (kind, name) = (kind.clone(), name.clone());
                    view! {
                        <li class:here=here data-testid="channel">
                            <div class="chan-row">
                                <span class="chan-name">{c.name.clone()}</span>
                                <span class="arrow" aria-hidden="true">"→"</span>
                                <a href=version_href(&kind, &name, c.version_number)>{format!("v{}", c.version_number)}</a>
                                {here.then(|| view! { <span class="badge here-badge">"this version"</span> })}
                                <span class="muted when">{format::short_ts(&c.updated_at)}</span>
                            </div>
                            {(moves > 0).then(|| view! {
                                <details class="history">
                                    <summary>{format!("publish history ({}{moves})", if moves as i64 >= crate::model::CHANNEL_MOVES_SHOWN { "latest " } else { "" })}</summary>
                                    <ol>{c.history.into_iter().map(|m| view! {
                                        <li class:here=m.version_number == current>
                                            <a href=version_href(&kind, &name, m.version_number)>{format!("v{}", m.version_number)}</a>
                                            <span class="muted">{format::short_ts(&m.published_at)}</span>
                                            <span class="muted">{m.published_by.unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view()}</ol>
                                </details>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
pub fn RunsSection(runs: Vec<VersionRun>, total: i64, kind: String) -> impl IntoView {
    let shown = runs.len();
    // The other script of each run: the judge for a workflow version, the workflow for a judge.
    let other = if kind == "workflow" { "Judge" } else { "Workflow" };
    view! {
        <section aria-label="Runs" class="version-runs">
            <h2>{format!("Runs that used this version ({total})")}
                {(total as usize > shown).then(|| view! { <span class="muted">{format!(" · the newest {shown}")}</span> })}</h2>
            {if runs.is_empty() {
                view! { <p class="empty" data-testid="runs-empty">"No run has used this version yet."</p> }.into_any()
            } else {
                view! {
                    <table class="grid" data-testid="version-runs">
                        <thead><tr>
                            <th>"Run"</th><th>"Bench"</th><th>"Channel"</th><th>"Status"</th>
                            <th class="num">"Mean score"</th><th class="num">"Pass rate"</th><th>{other}</th><th>"Triggered"</th>
                        </tr></thead>
                        <tbody>{runs.into_iter().map(|r| {
                            let (oname, onum, okind) = if kind == "workflow" {
                                (r.judge_script_name.clone(), r.judge_version_number, "judge")
                            } else {
                                (r.workflow_script_name.clone(), r.workflow_version_number, "workflow")
                            };
                            view! {
                                <tr data-testid="version-run">
                                    <td><a href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</a><SampledTag sampled={r.mode == "sampled"}/></td>
                                    <td>{r.bench_name.clone()}</td>
                                    <td>{r.channel.clone()}</td>
                                    <td><RunStatusBadge status=r.status.clone()/></td>
                                    <ScoreCell score=r.mean_headline_score score_max=r.score_max/>
                                    <td class="num">{format::percent(r.pass_rate)}</td>
                                    <td><VersionLink kind=okind name=oname number=onum/></td>
                                    <td><span class="when">{format::short_ts(&r.triggered_at)}</span>
                                        " "<span class="muted">{r.triggered_by.clone().unwrap_or_default()}</span></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
