//! The version page's main part: its header (settings, hash, prompt, config), the toolbar
//! (source or diff, diff against another version) and the source with line anchors.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;

use super::diff::DiffView;
use super::server::{show_temperature, VersionDiff};
use super::side::{ChannelList, RunsSection, VersionList};
use super::{diff_href, source_lines};
use crate::components::{ErrorView, StoredText};
use crate::domain::format;
use crate::model::app_error::AppError;
use crate::model::query::version_href;
use crate::model::{ScriptVersion, ScriptVersionPage, VersionEntry};

#[component]
pub fn VersionBody(
    p: ScriptVersionPage,
    diff_param: Memo<Option<String>>,
    diff: Resource<Result<Option<(i64, VersionDiff)>, AppError>>,
    target: ReadSignal<Option<usize>>,
) -> impl IntoView {
    let ScriptVersionPage { version: v, versions, channels, runs, runs_total } = p;
    let (kind, name, number) = (v.kind.clone(), v.script_name.clone(), v.number);
    let base = version_href(&kind, &name, number);
    let source = v.source.clone().unwrap_or_default();
    let diff_num = Memo::new(move |_| diff_param.get().and_then(|d| d.trim().parse::<i64>().ok()));
    let showing_diff = move || diff_param.get().is_some();
    let meta = format!("{} lines · {}", source_lines(&source).len(), format_bytes(source.len()));
    let body = {
        let (kind, name) = (kind.clone(), name.clone());
        move || {
            if showing_diff() {
                view! { <DiffPart diff=diff kind=kind.clone() name=name.clone() number=number/> }.into_any()
            } else {
                view! { <SourceView source=source.clone() target=target/> }.into_any()
            }
        }
    };
    view! {
        <Title text=format!("{name} v{number} · {kind} · Assay")/>
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
                    <span class="muted src-meta">{meta}</span>
                    <DiffForm versions=versions.clone() kind=kind.clone() name=name.clone() number=number diff_num=diff_num/>
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

/// Pick another version to diff against, or jump to the previous one.
#[component]
fn DiffForm(versions: Vec<VersionEntry>, kind: String, name: String, number: i64, diff_num: Memo<Option<i64>>) -> impl IntoView {
    let previous = versions.iter().map(|e| e.number).filter(|n| *n < number).max();
    let others: Vec<VersionEntry> = versions.into_iter().filter(|e| e.number != number).collect();
    (!others.is_empty()).then(move || view! {
        // Leptos's Form sends an unnamed submit button as an empty pair (`&=`): drop it.
        <Form method="GET" action=version_href(&kind, &name, number) noscroll=true attr:class="diff-form" attr:aria-label="Compare with another version"
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
}

/// The diff the URL asks for, once computed.
#[component]
fn DiffPart(diff: Resource<Result<Option<(i64, VersionDiff)>, AppError>>, kind: String, name: String, number: i64) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Computing diff…"</p> }>
            {
                let (kind, name) = (kind.clone(), name.clone());
                move || diff.get().map(|r| match r {
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                    Ok(Some((of, d))) if of == number => view! { <DiffView d=d kind=kind.clone() name=name.clone() number=number/> }.into_any(),
                    // No diff asked for, or one of the version the page is about to show.
                    Ok(_) => ().into_any(),
                })
            }
        </Transition>
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
                    {v.config.clone().map(|c| view! {
                        <div><dt>"config"</dt><dd><StoredText value=Some(c) class="block" testid="config"/></dd></div>
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
