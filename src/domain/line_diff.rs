//! Unified line diffs of script sources: hunks with old and new line numbers, computed on the
//! server (with the `similar` crate) and rendered by the page on both sides.

use serde::{Deserialize, Serialize};

/// Lines of context around each change, as `diff -u` shows them.
pub const CONTEXT: usize = 3;
/// At most this many diff lines are sent; the rest is cut off (and says so).
pub const MAX_LINES: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

impl LineKind {
    /// The sign `diff -u` writes before the line.
    pub fn sign(self) -> &'static str {
        match self {
            LineKind::Context => " ",
            LineKind::Added => "+",
            LineKind::Removed => "-",
        }
    }
}

/// One line of a hunk; numbers are 1-based, `None` on the side the line is not in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    /// The line without its line break.
    pub text: String,
    /// The line is the last of its file and has no line break.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_newline: bool,
}

/// A run of changes with its context, as `@@ -old_start,old_len +new_start,new_len @@`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old_start: u32,
    pub old_len: u32,
    pub new_start: u32,
    pub new_len: u32,
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// The `@@ … @@` header; an empty side starts at the line before it, as `diff -u` writes it.
    pub fn header(&self) -> String {
        let side = |start: u32, len: u32| if len == 1 { format!("{start}") } else { format!("{start},{len}") };
        format!("@@ -{} +{} @@", side(self.old_start, self.old_len), side(self.new_start, self.new_len))
    }
}

/// The whole diff of two texts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiff {
    pub hunks: Vec<Hunk>,
    pub added: u32,
    pub removed: u32,
    /// Lines past [`MAX_LINES`] were left out.
    pub truncated: bool,
}

impl LineDiff {
    pub fn is_empty(&self) -> bool {
        self.hunks.is_empty()
    }
}

#[cfg(feature = "ssr")]
fn strip_break(s: &str) -> &str {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

/// The unified diff from `old` to `new` with `context` lines around each change. Gives up on
/// a minimal diff after a second (the answer is still a correct diff, only longer).
#[cfg(feature = "ssr")]
pub fn unified(old: &str, new: &str, context: usize) -> LineDiff {
    use similar::{ChangeTag, TextDiff};

    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_secs(1))
        .diff_lines(old, new);
    let mut out = LineDiff::default();
    let mut budget = MAX_LINES;
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let (old_from, old_to) = (first.old_range().start, last.old_range().end);
        let (new_from, new_to) = (first.new_range().start, last.new_range().end);
        let (old_len, new_len) = ((old_to - old_from) as u32, (new_to - new_from) as u32);
        let mut hunk = Hunk {
            old_start: if old_len == 0 { old_from as u32 } else { old_from as u32 + 1 },
            old_len,
            new_start: if new_len == 0 { new_from as u32 } else { new_from as u32 + 1 },
            new_len,
            lines: Vec::new(),
        };
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => LineKind::Context,
                    ChangeTag::Insert => LineKind::Added,
                    ChangeTag::Delete => LineKind::Removed,
                };
                match kind {
                    LineKind::Added => out.added += 1,
                    LineKind::Removed => out.removed += 1,
                    LineKind::Context => {}
                }
                if budget == 0 {
                    out.truncated = true;
                    continue;
                }
                budget -= 1;
                hunk.lines.push(DiffLine {
                    kind,
                    old_no: change.old_index().map(|i| i as u32 + 1),
                    new_no: change.new_index().map(|i| i as u32 + 1),
                    text: strip_break(change.value()).to_string(),
                    no_newline: change.missing_newline(),
                });
            }
        }
        if !hunk.lines.is_empty() {
            out.hunks.push(hunk);
        }
    }
    out
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn lines(h: &Hunk) -> Vec<String> {
        h.lines
            .iter()
            .map(|l| {
                let n = |x: Option<u32>| x.map(|x| x.to_string()).unwrap_or_else(|| "·".into());
                format!("{}{} {} {}", l.kind.sign(), l.text, n(l.old_no), n(l.new_no))
            })
            .collect()
    }

    #[test]
    fn identical_texts_have_no_hunks() {
        let d = unified("a\nb\n", "a\nb\n", CONTEXT);
        assert!(d.is_empty());
        assert_eq!((d.added, d.removed), (0, 0));
    }

    #[test]
    fn changes_far_apart_make_separate_hunks_with_context_and_numbers() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 2\n", "line two\n").replace("line 18\n", "line 18\ninserted\n");
        let d = unified(&old, &new, 3);
        assert_eq!((d.added, d.removed), (2, 1));
        assert_eq!(d.hunks.len(), 2);
        assert_eq!(d.hunks[0].header(), "@@ -1,5 +1,5 @@");
        assert_eq!(
            lines(&d.hunks[0]),
            [" line 1 1 1", "-line 2 2 ·", "+line two · 2", " line 3 3 3", " line 4 4 4", " line 5 5 5"]
        );
        assert_eq!(d.hunks[1].header(), "@@ -16,5 +16,6 @@");
        assert_eq!(lines(&d.hunks[1])[3..5], ["+inserted · 19".to_string(), " line 19 19 20".to_string()]);
    }

    #[test]
    fn empty_sides_start_at_the_line_before() {
        let d = unified("", "a\nb\n", 3);
        assert_eq!(d.hunks[0].header(), "@@ -0,0 +1,2 @@");
        let d = unified("a\n", "", 3);
        assert_eq!(d.hunks[0].header(), "@@ -1 +0,0 @@");
    }

    #[test]
    fn a_missing_final_newline_is_marked_and_line_breaks_are_not_text() {
        let d = unified("a\r\nb", "a\r\nb\n", 3);
        let l = &d.hunks[0].lines;
        assert_eq!(l[0].text, "a");
        assert_eq!((l[1].kind, l[1].text.as_str(), l[1].no_newline), (LineKind::Removed, "b", true));
        assert_eq!((l[2].kind, l[2].text.as_str(), l[2].no_newline), (LineKind::Added, "b", false));
    }

    #[test]
    fn huge_diffs_are_cut_off_but_counted() {
        let new: String = (0..MAX_LINES + 10).map(|i| format!("{i}\n")).collect();
        let d = unified("", &new, 3);
        assert!(d.truncated);
        assert_eq!(d.added as usize, MAX_LINES + 10);
        assert_eq!(d.hunks.iter().map(|h| h.lines.len()).sum::<usize>(), MAX_LINES);
    }
}
