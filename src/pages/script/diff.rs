//! The diff of two versions: a summary, the settings that changed side by side, and the source
//! as unified hunks whose line numbers link to each version's lines.

use leptos::prelude::*;

use super::server::{SettingChange, VersionDiff};
use crate::domain::line_diff::{DiffLine, Hunk, LineDiff, LineKind};
use crate::model::query::version_href;

#[component]
pub fn DiffView(d: VersionDiff, kind: String, name: String, number: i64) -> impl IntoView {
    let notice = |text: String| view! { <p class="notice" role="status" data-testid="diff-message">{text}</p> }.into_any();
    match d {
        VersionDiff::NotANumber(s) => notice(format!("“{s}” is not a version number. Pick a version to diff against.")),
        VersionDiff::SameVersion => notice(format!("v{number} is this version. Pick another version to diff against.")),
        VersionDiff::NoSuchVersion(n) => notice(format!("There is no v{n} of this script to diff against. Pick one of the versions listed.")),
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
                <SettingsDiff settings=settings against=against number=number/>
                {no_change.then(|| view! { <p class="notice" data-testid="diff-message">"The source is the same in both versions."</p> })}
                {(!no_change).then(|| view! {
                    <div class="code-scroll">
                        <table class="code diff" data-testid="diff">
                            {hunks.into_iter().map(|h| view! { <HunkView h=h old_href=old_href.clone() new_href=new_href.clone()/> }).collect_view()}
                        </table>
                    </div>
                })}
            }
            .into_any()
        }
    }
}

#[component]
fn SettingsDiff(settings: Vec<SettingChange>, against: i64, number: i64) -> impl IntoView {
    (!settings.is_empty()).then(|| view! {
        <table class="grid compact settings-diff" data-testid="settings-diff">
            <thead><tr><th>"Setting"</th><th>{format!("v{against}")}</th><th>{format!("v{number}")}</th></tr></thead>
            <tbody>{settings.into_iter().map(|c| view! {
                <tr><td>{c.field}</td>
                    <td class="old"><pre>{c.old.unwrap_or_else(|| "—".into())}</pre></td>
                    <td class="new"><pre>{c.new.unwrap_or_else(|| "—".into())}</pre></td></tr>
            }).collect_view()}</tbody>
        </table>
    })
}

/// One hunk: its `@@` header, then its lines.
#[component]
fn HunkView(h: Hunk, old_href: String, new_href: String) -> impl IntoView {
    let header = h.header();
    view! {
        <tbody class="hunk">
            <tr class="hunk-head"><td class="ln" aria-hidden="true"></td><td class="ln" aria-hidden="true"></td>
                <td colspan="2">{header}</td></tr>
            {h.lines.into_iter().map(|l| view! { <LineView l=l old_href=old_href.clone() new_href=new_href.clone()/> }).collect_view()}
        </tbody>
    }
}

/// A line of a hunk, its numbers linking to the line in each version.
#[component]
fn LineView(l: DiffLine, old_href: String, new_href: String) -> impl IntoView {
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
}
