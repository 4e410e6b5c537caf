//! `/scripts/{kind}/{name}/v/{number}`: one workflow or judge version — its settings, its source
//! with `#L12` line anchors, a unified diff against any other version (`?diff=N`), the channels
//! of the script and the runs that used this version.
//!
//! Every state is in the URL: the version in the path, the diff in the query, the line in the
//! fragment. The server renders all of it; the fragment works through CSS `:target` on first load
//! and, after client-side navigation, through a class the page sets from the location's hash.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::domain::format;
use crate::domain::line_diff::{LineDiff, LineKind};
use crate::model::query::version_href;
use crate::model::{Channel, ScriptVersion, ScriptVersionPage, VersionEntry, VersionRun};

/// One setting that differs between two versions (the fields besides the source that make a
/// new version), as display text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What the diff part of the page shows for `?diff=…`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum VersionDiff {
    /// `?diff=` is not a version number.
    NotANumber(String),
    /// `?diff=` names the version the page shows.
    SameVersion,
    /// The script has no version of that number.
    NoSuchVersion(i64),
    /// From version `against` (the old side) to the page's version (the new side).
    Diff { against: i64, against_label: Option<String>, source: LineDiff, settings: Vec<SettingChange> },
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_script_version(
    kind: String,
    name: String,
    number: i64,
) -> Result<Option<ScriptVersionPage>, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    store.version_page(&kind, &name, number).await.map_err(|e| ServerFnError::new(e.to_string()))
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_version_diff(
    kind: String,
    name: String,
    number: i64,
    against: i64,
) -> Result<VersionDiff, ServerFnError> {
    let store = expect_context::<crate::server::store::Store>();
    let err = |e: crate::server::store::StoreError| ServerFnError::new(e.to_string());
    let new = store.get_version(&kind, &name, number).await.map_err(err)?;
    let old = match store.get_version(&kind, &name, against).await {
        Ok(v) => v,
        Err(e) if e.is_not_found() => return Ok(VersionDiff::NoSuchVersion(against)),
        Err(e) => return Err(err(e)),
    };
    let settings = setting_changes(&old, &new);
    let against_label = old.label.clone();
    // A diff is CPU work (bounded by a deadline): keep it off the async workers.
    let source = tokio::task::spawn_blocking(move || {
        crate::domain::line_diff::unified(
            old.source.as_deref().unwrap_or(""),
            new.source.as_deref().unwrap_or(""),
            crate::domain::line_diff::CONTEXT,
        )
    })
    .await
    .map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(VersionDiff::Diff { against, against_label, source, settings })
}

fn show_temperature(t: Option<f64>) -> Option<String> {
    t.map(|t| format!("{t}"))
}

fn show_config(c: &Option<serde_json::Value>) -> Option<String> {
    c.as_ref().map(|c| serde_json::to_string_pretty(c).unwrap_or_else(|_| c.to_string()))
}

/// The settings that differ from `old` to `new`, in a fixed order.
pub fn setting_changes(old: &ScriptVersion, new: &ScriptVersion) -> Vec<SettingChange> {
    let pairs = [
        ("language", old.language.clone(), new.language.clone()),
        ("model", old.model.clone(), new.model.clone()),
        ("temperature", show_temperature(old.temperature), show_temperature(new.temperature)),
        ("system prompt", old.system_prompt.clone(), new.system_prompt.clone()),
        ("config", show_config(&old.config), show_config(&new.config)),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, old, new)| SettingChange { field: field.to_string(), old, new })
        .collect()
}

/// The page's address with a diff against `against`.
fn diff_href(kind: &str, name: &str, number: i64, against: i64) -> String {
    format!("{}?diff={against}", version_href(kind, name, number))
}

/// The line a `#L12` fragment names.
fn line_of_hash(hash: &str) -> Option<usize> {
    hash.strip_prefix('#').unwrap_or(hash).strip_prefix('L')?.parse().ok().filter(|n| *n > 0)
}

/// The lines of a source as the page numbers them (line breaks `\n` or `\r\n`).
pub fn source_lines(source: &str) -> Vec<&str> {
    source.lines().collect()
}

/// The route's parameters: kind, name, and the version number if it parses.
type Key = (String, String, Option<i64>);

#[component]
pub fn ScriptPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("kind").unwrap_or_default(),
                p.get("name").unwrap_or_default(),
                p.get("number").and_then(|n| n.parse::<i64>().ok()),
            )
        })
    });
    let diff_param = Memo::new(move |_| query.with(|q| q.get("diff").filter(|d| !d.is_empty())));
    let data = Resource::new(move || key.get(), |(kind, name, number): Key| async move {
        match number {
            Some(n) => get_script_version(kind, name, n).await,
            None => Ok(None),
        }
    });
    let diff = Resource::new(
        move || (key.get(), diff_param.get()),
        |((kind, name, number), param): (Key, Option<String>)| async move {
            let (Some(number), Some(param)) = (number, param) else { return Ok(None) };
            match param.trim().parse::<i64>() {
                Err(_) => Ok(Some(VersionDiff::NotANumber(param))),
                Ok(n) if n == number => Ok(Some(VersionDiff::SameVersion)),
                Ok(n) => get_version_diff(kind, name, number, n).await.map(Some),
            }
        },
    );

    // The line the fragment names. Set by an effect, so it is `None` on the server and while
    // hydrating (CSS `:target` does the first highlight), and follows client-side navigation.
    let location = use_location();
    let (target, set_target) = signal(None::<usize>);
    Effect::new(move |_| {
        let line = line_of_hash(&location.hash.get());
        set_target.set(line);
        #[cfg(feature = "hydrate")]
        if let Some(n) = line {
            // After the view for the new URL is in place.
            request_animation_frame(move || {
                if let Some(el) = document().get_element_by_id(&format!("L{n}")) {
                    el.scroll_into_view();
                }
            });
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading script…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(None) => view! { <NoVersion/> }.into_any(),
                Ok(Some(p)) => view! { <VersionBody p=p diff_param=diff_param diff=diff target=target/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn NoVersion() -> impl IntoView {
    super::respond_not_found();
    view! {
        <Title text="Script version not found · Assay"/>
        <h1>"Script version not found"</h1>
        <p>"There is no such workflow or judge version. "<a href="/runs">"All runs"</a></p>
    }
}

#[component]
fn VersionBody(
    p: ScriptVersionPage,
    diff_param: Memo<Option<String>>,
    diff: Resource<Result<Option<VersionDiff>, ServerFnError>>,
    target: ReadSignal<Option<usize>>,
) -> impl IntoView {
    let ScriptVersionPage { version: v, versions, channels, runs, runs_total } = p;
    let (kind, name, number) = (v.kind.clone(), v.script_name.clone(), v.number);
    let base = version_href(&kind, &name, number);
    let source = v.source.clone().unwrap_or_default();
    let previous = versions.iter().map(|e| e.number).filter(|n| *n < number).max();
    let others: Vec<VersionEntry> = versions.iter().filter(|e| e.number != number).cloned().collect();
    let has_others = !others.is_empty();
    let diff_num = Memo::new(move |_| diff_param.get().and_then(|d| d.trim().parse::<i64>().ok()));
    let showing_diff = move || diff_param.get().is_some();

    let diff_form = {
        let (kind, name) = (kind.clone(), name.clone());
        let action = base.clone();
        has_others.then(move || view! {
            // Leptos's Form sends an unnamed submit button as an empty pair (`&=`): drop it.
            <Form method="GET" action=action noscroll=true attr:class="diff-form" attr:aria-label="Compare with another version"
                on_form_data=std::sync::Arc::new(|fd: &leptos::web_sys::FormData| fd.delete(""))>
                <label for="diff-against">"Diff against"</label>
                <select id="diff-against" name="diff" prop:value=move || diff_num.get().map(|n| n.to_string()).unwrap_or_default()>
                        {others.iter().map(|e| {
                            let n = e.number;
                            let text = match &e.label {
                                Some(l) => format!("v{n} · {l}"),
                                None => format!("v{n}"),
                            };
                            view! { <option value=n.to_string() selected=move || diff_num.get() == Some(n)>{text}</option> }
                        }).collect_view()}
                </select>
                <button type="submit">"Show diff"</button>
                {previous.map(|p| view! {
                    <a class="quick" href=diff_href(&kind, &name, number, p)>{format!("vs previous (v{p})")}</a>
                })}
            </Form>
        })
    };

    let source_len = source.len();
    let line_count = source_lines(&source).len();
    let body = {
        let (kind, name) = (kind.clone(), name.clone());
        move || {
            if showing_diff() {
                let (kind, name) = (kind.clone(), name.clone());
                view! {
                    <Transition fallback=|| view! { <p class="muted">"Computing diff…"</p> }>
                        {
                            let (kind, name) = (kind.clone(), name.clone());
                            move || diff.get().map(|r| match r {
                                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                                Ok(None) => ().into_any(),
                                Ok(Some(d)) => view! { <DiffView d=d kind=kind.clone() name=name.clone() number=number/> }.into_any(),
                            })
                        }
                    </Transition>
                }
                .into_any()
            } else {
                view! { <SourceView source=source.clone() target=target/> }.into_any()
            }
        }
    };

    let title = format!("{} v{} · {} · Assay", name, number, kind);
    view! {
        <Title text=title/>
        <VersionHeader v=v.clone()/>
        <div class="script-layout">
            <section class="script-main" aria-label="Source">
                <div class="src-toolbar">
                    <nav class="tabs" aria-label="View">
                        <a href=base.clone() aria-current=move || (!showing_diff()).then_some("page")>"Source"</a>
                        {move || showing_diff().then(|| view! {
                            <span class="tab" aria-current="page">
                                {match diff_num.get() { Some(n) => format!("Diff vs v{n}"), None => "Diff".to_string() }}
                            </span>
                        })}
                    </nav>
                    <span class="muted src-meta">{format!("{line_count} lines · {}", format_bytes(source_len))}</span>
                    {diff_form}
                </div>
                {body}
            </section>
            <aside class="script-side">
                <VersionList entries=versions kind=kind.clone() name=name.clone() current=number/>
                <ChannelList channels=channels kind=kind.clone() name=name.clone() current=number/>
            </aside>
        </div>
        <RunsSection runs=runs total=runs_total kind=kind.clone()/>
    }
}

fn format_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

#[component]
fn VersionHeader(v: ScriptVersion) -> impl IntoView {
    let kind = v.kind.clone();
    let channels = v.channels.clone();
    view! {
        <header class="script-head" data-testid="script-header">
            <h1>
                <span class=format!("kind kind-{kind}")>{kind.clone()}</span>
                <span class="script-name">{v.script_name.clone()}</span>
                <span class="ver">{format!("v{}", v.number)}</span>
                {v.label.clone().map(|l| view! { <span class="muted label" data-testid="version-label">{l}</span> })}
            </h1>
            <div class="facts">
                <span>{format!("published {}", format::short_ts(&v.created_at))}
                    {v.published_by.clone().map(|b| format!(" by {b}"))}</span>
                {v.language.clone().map(|l| view! { <span>{format!("language {l}")}</span> })}
                {(!channels.is_empty()).then(|| view! {
                    <span data-testid="version-channels">"on "
                        {channels.into_iter().map(|c| view! { <span class="chan">{c}</span> }).collect_view()}
                    </span>
                })}
            </div>
            <dl class="settings">
                <div><dt>"content hash"</dt><dd><code class="hash" data-testid="content-hash">{v.content_hash.clone()}</code></dd></div>
                {v.model.clone().map(|m| view! { <div><dt>"model"</dt><dd><code>{m}</code></dd></div> })}
                {show_temperature(v.temperature).map(|t| view! { <div><dt>"temperature"</dt><dd>{t}</dd></div> })}
            </dl>
            {(v.system_prompt.is_some() || v.config.is_some()).then(|| view! {
                <dl class="blocks">
                    {v.system_prompt.clone().map(|s| view! {
                        <div><dt>"system prompt"</dt><dd><pre class="block" data-testid="system-prompt">{s}</pre></dd></div>
                    })}
                    {show_config(&v.config).map(|c| view! {
                        <div><dt>"config"</dt><dd><pre class="block" data-testid="config">{c}</pre></dd></div>
                    })}
                </dl>
            })}
        </header>
    }
}

/// The source, one table row per line: `id="L12"` on the row, its number a link to `#L12`.
#[component]
fn SourceView(source: String, target: ReadSignal<Option<usize>>) -> impl IntoView {
    let lines: Vec<(usize, String)> =
        source_lines(&source).into_iter().enumerate().map(|(i, l)| (i + 1, l.to_string())).collect();
    if lines.is_empty() {
        return view! { <p class="empty" data-testid="source-empty">"This version's source is empty."</p> }.into_any();
    }
    view! {
        <div class="code-scroll">
            <table class="code src" data-testid="source">
                <tbody>
                    {lines.into_iter().map(|(n, text)| {
                        let id = format!("L{n}");
                        // rel="external": the browser follows the fragment itself (no reload),
                        // which is what moves CSS :target and keeps back/forward per line.
                        view! {
                            <tr id=id.clone() class="line" class:hl=move || target.get() == Some(n)>
                                <td class="ln"><a href=format!("#{id}") rel="external">{n}</a></td>
                                <td class="code-text">{text}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn DiffView(d: VersionDiff, kind: String, name: String, number: i64) -> impl IntoView {
    match d {
        VersionDiff::NotANumber(s) => view! {
            <p class="notice" role="status" data-testid="diff-message">
                {format!("“{s}” is not a version number. Pick a version to diff against.")}
            </p>
        }
        .into_any(),
        VersionDiff::SameVersion => view! {
            <p class="notice" role="status" data-testid="diff-message">
                {format!("v{number} is this version. Pick another version to diff against.")}
            </p>
        }
        .into_any(),
        VersionDiff::NoSuchVersion(n) => view! {
            <p class="notice" role="status" data-testid="diff-message">
                {format!("There is no v{n} of this script to diff against. Pick one of the versions listed.")}
            </p>
        }
        .into_any(),
        VersionDiff::Diff { against, against_label, source, settings } => {
            let old_href = version_href(&kind, &name, against);
            let new_href = version_href(&kind, &name, number);
            let LineDiff { hunks, added, removed, truncated } = source;
            let no_change = hunks.is_empty();
            view! {
                <div class="diff-summary" data-testid="diff-summary">
                    "Changes from "<a href=old_href.clone()>{format!("v{against}")}</a>
                    {against_label.map(|l| view! { <span class="muted">{format!(" ({l})")}</span> })}
                    {format!(" to v{number}: ")}
                    <span class="n-add">{format!("+{added}")}</span>" "
                    <span class="n-del">{format!("−{removed}")}</span>
                    {truncated.then(|| view! { <span class="muted">" · only the first 10,000 lines are shown"</span> })}
                </div>
                {(!settings.is_empty()).then(|| view! {
                    <table class="grid compact settings-diff" data-testid="settings-diff">
                        <thead><tr><th>"Setting"</th><th>{format!("v{against}")}</th><th>{format!("v{number}")}</th></tr></thead>
                        <tbody>{settings.into_iter().map(|c| view! {
                            <tr><td>{c.field}</td>
                                <td class="old"><pre>{c.old.unwrap_or_else(|| "—".into())}</pre></td>
                                <td class="new"><pre>{c.new.unwrap_or_else(|| "—".into())}</pre></td></tr>
                        }).collect_view()}</tbody>
                    </table>
                })}
                {no_change.then(|| view! { <p class="notice" data-testid="diff-message">"The source is the same in both versions."</p> })}
                {(!no_change).then(|| view! {
                    <div class="code-scroll">
                        <table class="code diff" data-testid="diff">
                            {hunks.into_iter().map(|h| {
                                let header = h.header();
                                let old_href = old_href.clone();
                                let new_href = new_href.clone();
                                view! {
                                    <tbody class="hunk">
                                        <tr class="hunk-head"><td class="ln" aria-hidden="true"></td><td class="ln" aria-hidden="true"></td>
                                            <td colspan="2">{header}</td></tr>
                                        {h.lines.into_iter().map(|l| {
                                            let (cls, label) = match l.kind {
                                                LineKind::Added => ("d-line d-add", "added"),
                                                LineKind::Removed => ("d-line d-del", "removed"),
                                                LineKind::Context => ("d-line d-ctx", "unchanged"),
                                            };
                                            let old_no = l.old_no.map(|n| view! { <a href=format!("{old_href}#L{n}")>{n}</a> });
                                            let new_no = l.new_no.map(|n| view! { <a href=format!("{new_href}#L{n}")>{n}</a> });
                                            view! {
                                                <tr class=cls data-kind=label>
                                                    <td class="ln old">{old_no}</td>
                                                    <td class="ln new">{new_no}</td>
                                                    <td class="sign" title=label>{l.kind.sign()}</td>
                                                    <td class="code-text">{l.text}</td>
                                                </tr>
                                                {l.no_newline.then(|| view! {
                                                    <tr class="d-note"><td class="ln"></td><td class="ln"></td><td class="sign"></td>
                                                        <td class="code-text muted">"\\ No newline at end of file"</td></tr>
                                                })}
                                            }
                                        }).collect_view()}
                                    </tbody>
                                }
                            }).collect_view()}
                        </table>
                    </div>
                })}
            }
            .into_any()
        }
    }
}

#[component]
fn VersionList(entries: Vec<VersionEntry>, kind: String, name: String, current: i64) -> impl IntoView {
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
fn ChannelList(channels: Vec<Channel>, kind: String, name: String, current: i64) -> impl IntoView {
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
fn RunsSection(runs: Vec<VersionRun>, total: i64, kind: String) -> impl IntoView {
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
                                    <td><a href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</a>
                                        {(r.mode == "sampled").then(|| view! { <span class="tag">"sampled"</span> })}</td>
                                    <td>{r.bench_name.clone()}</td>
                                    <td>{r.channel.clone()}</td>
                                    <td><span class=format!("badge run-{}", r.status)>{r.status.clone()}</span></td>
                                    <td class="num">{format::score(r.mean_headline_score, r.score_max)}</td>
                                    <td class="num">{format::percent(r.pass_rate)}</td>
                                    <td><a href=version_href(okind, &oname, onum)>{format!("{oname} v{onum}")}</a></td>
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

#[cfg(test)]
mod tests {
    use super::*;

    fn version(source: &str) -> ScriptVersion {
        ScriptVersion {
            id: 1,
            script_id: 1,
            kind: "workflow".into(),
            script_name: "bot".into(),
            number: 1,
            source: Some(source.into()),
            language: Some("python".into()),
            label: None,
            published_by: None,
            content_hash: "h".into(),
            model: Some("m-1".into()),
            system_prompt: None,
            temperature: Some(0.3),
            config: Some(serde_json::json!({"a": 1})),
            created_at: "2026-11-22T10:00:00.000Z".into(),
            channels: vec![],
        }
    }

    #[test]
    fn settings_that_differ_are_listed_in_order() {
        let a = version("x");
        let mut b = version("y");
        assert!(setting_changes(&a, &b).is_empty(), "the source is not a setting");
        b.model = Some("m-2".into());
        b.temperature = None;
        b.config = Some(serde_json::json!({"a": 2}));
        let c = setting_changes(&a, &b);
        assert_eq!(c.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["model", "temperature", "config"]);
        assert_eq!(c[1], SettingChange { field: "temperature".into(), old: Some("0.3".into()), new: None });
        assert_eq!(c[2].new.as_deref(), Some("{\n  \"a\": 2\n}"));
    }

    #[test]
    fn fragments_name_lines() {
        assert_eq!(line_of_hash("#L12"), Some(12));
        assert_eq!(line_of_hash("L3"), Some(3));
        assert_eq!(line_of_hash("#L0"), None);
        assert_eq!(line_of_hash("#Lx"), None);
        assert_eq!(line_of_hash(""), None);
        assert_eq!(line_of_hash("#results"), None);
    }

    #[test]
    fn sources_split_into_numbered_lines() {
        assert_eq!(source_lines("a\r\nb\n\nc\n"), ["a", "b", "", "c"]);
        assert_eq!(source_lines("a"), ["a"]);
        assert!(source_lines("").is_empty());
        assert_eq!(diff_href("judge", "a b", 3, 1), "/scripts/judge/a%20b/v/3?diff=1");
    }
}
