//! The word diffs of an opened case: the expected output, each run's output against it, and
//! run a's output against run b's.

use leptos::prelude::*;

use super::server::get_case_diff;
use crate::components::ErrorView;
use crate::model::compare::{DiffOp, DiffSegment, WordDiff};

#[component]
pub fn DiffView(a: i64, b: i64, case_id: String) -> impl IntoView {
    let diff = Resource::new(move || (a, b, case_id.clone()), |(a, b, c)| get_case_diff(a, b, c));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Computing the diff…"</p> }>
            {move || diff.get().map(|r| match r {
                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                Ok(d) => view! {
                    <div class="diff-grid" data-testid="case-diff">
                        <div><h3>"Expected"</h3><pre>{d.expected.clone().unwrap_or_else(|| "—".into())}</pre></div>
                        <div data-testid="diff-a"><h3>"Output a vs expected"</h3><Words diff=d.expected_vs_a.clone() fallback=d.output_a.clone() show=DiffOp::Insert/></div>
                        <div data-testid="diff-b"><h3>"Output b vs expected"</h3><Words diff=d.expected_vs_b.clone() fallback=d.output_b.clone() show=DiffOp::Insert/></div>
                    </div>
                    <div class="diff-ab"><h3>"a → b"</h3><Words diff=d.a_vs_b.clone() fallback=d.output_b.clone() show=DiffOp::Equal/></div>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// One piece of a rendered word diff.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// Text both sides share.
    Same(String),
    /// Text only the new side has.
    Added(String),
    /// Text only the old side has, spelled out (struck through).
    Removed(String),
    /// Text the shown side lacks, reduced to a marker (the text in its title).
    Gap(String),
}

/// What a word diff shows of its segments. `Equal`: both sides inline — shared text, insertions
/// marked, deletions struck through. `Insert`: the new side as it reads — its insertions
/// marked, each deletion only a gap marker. `Delete`: the old side as it reads — its deletions
/// marked, each insertion a gap marker.
pub fn marks(segments: Vec<DiffSegment>, show: DiffOp) -> Vec<Mark> {
    segments
        .into_iter()
        .map(|s| match (s.op, show) {
            (DiffOp::Equal, _) => Mark::Same(s.text),
            (DiffOp::Insert, DiffOp::Delete) | (DiffOp::Delete, DiffOp::Insert) => Mark::Gap(s.text),
            (DiffOp::Insert, _) => Mark::Added(s.text),
            (DiffOp::Delete, _) => Mark::Removed(s.text),
        })
        .collect()
}

/// A word diff as marked text (see [`marks`]); the plain text when there is no diff or it was
/// too large to compute.
#[component]
fn Words(diff: Option<WordDiff>, fallback: Option<String>, show: DiffOp) -> impl IntoView {
    match diff {
        None => view! { <pre class="muted">{fallback.unwrap_or_else(|| "—".into())}</pre> }.into_any(),
        Some(d) if d.too_large => view! {
            <p class="muted" data-testid="diff-too-large">"Too large to diff inline; shown as is."</p>
            <pre>{fallback.unwrap_or_default()}</pre>
        }.into_any(),
        Some(d) => view! {
            <pre class="words" data-testid="word-diff">{marks(d.segments, show).into_iter().map(|m| match m {
                Mark::Same(t) => view! { <span>{t}</span> }.into_any(),
                Mark::Added(t) => view! { <ins>{t}</ins> }.into_any(),
                Mark::Removed(t) => view! { <del>{t}</del> }.into_any(),
                Mark::Gap(t) => view! { <del class="gap" title=format!("not here: {t}")>"…"</del> }.into_any(),
            }).collect_view()}</pre>
            {d.timed_out.then(|| view! { <p class="muted">"Time limit reached: the diff may be coarser than the smallest one."</p> })}
        }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(op: DiffOp, text: &str) -> DiffSegment {
        DiffSegment { op, text: text.into() }
    }

    #[test]
    fn each_side_reads_as_its_own_text() {
        let segments = vec![
            seg(DiffOp::Equal, "refund "),
            seg(DiffOp::Delete, "approved"),
            seg(DiffOp::Insert, "denied"),
            seg(DiffOp::Equal, "."),
        ];
        let text = |marks: &[Mark]| {
            marks
                .iter()
                .filter_map(|m| match m {
                    Mark::Same(t) | Mark::Added(t) | Mark::Removed(t) => Some(t.as_str()),
                    Mark::Gap(_) => None,
                })
                .collect::<String>()
        };
        let both = marks(segments.clone(), DiffOp::Equal);
        assert_eq!(text(&both), "refund approveddenied.", "both sides inline");
        assert!(both.contains(&Mark::Removed("approved".into())) && both.contains(&Mark::Added("denied".into())));
        let new = marks(segments.clone(), DiffOp::Insert);
        assert_eq!(text(&new), "refund denied.", "the new side reads as the new text");
        assert_eq!(new[1], Mark::Gap("approved".into()));
        assert_eq!(new[2], Mark::Added("denied".into()));
        let old = marks(segments, DiffOp::Delete);
        assert_eq!(text(&old), "refund approved.");
        assert_eq!((&old[1], &old[2]), (&Mark::Removed("approved".into()), &Mark::Gap("denied".into())));
    }
}
