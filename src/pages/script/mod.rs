//! `/scripts/{kind}/{name}/v/{number}`: one workflow or judge version — its settings, its source
//! with `#L12` line anchors, a unified diff against any other version (`?diff=N`), the channels
//! of the script and the runs that used this version.
//!
//! Every state is in the URL: the version in the path, the diff in the query, the line in the
//! fragment. The server renders all of it; the fragment works through CSS `:target` on first load
//! and, after client-side navigation, through a class the page sets from the location's hash.

mod body;
mod diff;
pub mod server;
mod side;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::components::{ErrorView, NotFoundView};
use crate::model::app_error::AppError;
use crate::model::query::version_href;

pub use server::{setting_changes, SettingChange, VersionDiff};
use server::{get_script_version, get_version_diff};

/// The page's address with a diff against `against`.
pub(crate) fn diff_href(kind: &str, name: &str, number: i64, against: i64) -> String {
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
            None => Err(AppError::NotFound("a version number is a number".into())),
        }
    });
    // Each diff comes with the version it is of: while the page of another version is still
    // loading, the old page must not show (and link) the new version's diff as its own.
    let diff = Resource::new(
        move || (key.get(), diff_param.get()),
        |((kind, name, number), param): (Key, Option<String>)| async move {
            let (Some(number), Some(param)) = (number, param) else { return Ok(None) };
            let d = match param.trim().parse::<i64>() {
                Err(_) => VersionDiff::NotANumber(param),
                Ok(n) if n == number => VersionDiff::SameVersion,
                Ok(n) => get_version_diff(kind, name, number, n).await?,
            };
            Ok(Some((number, d)))
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
                Err(AppError::NotFound(_)) => view! {
                    <NotFoundView title="Script version not found" message="There is no such workflow or judge version." href="/runs" link="All runs"/>
                }.into_any(),
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(p) => view! { <body::VersionBody p=p diff_param=diff_param diff=diff target=target/> }.into_any(),
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
