//! The inline word diff of the compare page (expected / a / b), computed on demand with a size
//! cap and a time limit so one huge output can never stall a request.

use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

use crate::model::{DiffOp, DiffSegment, WordDiff};

/// Bounds of one diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffLimits {
    /// Bytes per side; a side over it gets no diff (`too_large`).
    pub max_bytes: usize,
    /// After this the diff algorithm stops looking for the minimal diff and approximates
    /// (`timed_out`): the segments are still a valid diff, only coarser.
    pub timeout: Duration,
}

impl Default for DiffLimits {
    fn default() -> Self {
        DiffLimits {
            max_bytes: 64 * 1024,
            timeout: Duration::from_millis(100),
        }
    }
}

/// The word diff of `a` → `b` with the default limits (64 KB per side, 100 ms).
pub fn word_diff(a: &str, b: &str) -> WordDiff {
    word_diff_with(a, b, DiffLimits::default())
}

/// The word diff of `a` → `b`: words and the whitespace between them are the tokens; runs of
/// tokens with the same operation are merged into one segment.
pub fn word_diff_with(a: &str, b: &str, limits: DiffLimits) -> WordDiff {
    if a.len() > limits.max_bytes || b.len() > limits.max_bytes {
        return WordDiff {
            segments: Vec::new(),
            too_large: true,
            timed_out: false,
        };
    }
    let deadline = Instant::now() + limits.timeout;
    let diff = TextDiff::configure().deadline(deadline).diff_words(a, b);
    let mut segments: Vec<DiffSegment> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => DiffOp::Equal,
            ChangeTag::Insert => DiffOp::Insert,
            ChangeTag::Delete => DiffOp::Delete,
        };
        match segments.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => segments.push(DiffSegment {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    WordDiff {
        segments,
        too_large: false,
        timed_out: Instant::now() > deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old text (`equal` + `delete`) and the new one (`equal` + `insert`) of a diff.
    fn sides(d: &WordDiff) -> (String, String) {
        let mut old = String::new();
        let mut new = String::new();
        for s in &d.segments {
            if s.op != DiffOp::Insert {
                old.push_str(&s.text);
            }
            if s.op != DiffOp::Delete {
                new.push_str(&s.text);
            }
        }
        (old, new)
    }

    fn seg(op: DiffOp, text: &str) -> DiffSegment {
        DiffSegment {
            op,
            text: text.to_string(),
        }
    }

    #[test]
    fn words_change_as_words() {
        let d = word_diff(
            "the refund is on its way",
            "the refund was sent on its way today",
        );
        assert!(!d.too_large && !d.timed_out);
        assert_eq!(
            d.segments,
            vec![
                seg(DiffOp::Equal, "the refund "),
                seg(DiffOp::Delete, "is"),
                seg(DiffOp::Insert, "was sent"),
                seg(DiffOp::Equal, " on its way"),
                seg(DiffOp::Insert, " today"),
            ]
        );
        assert_eq!(
            sides(&d),
            (
                "the refund is on its way".to_string(),
                "the refund was sent on its way today".to_string()
            )
        );
        assert_eq!(
            word_diff("same", "same").segments,
            vec![seg(DiffOp::Equal, "same")]
        );
        assert_eq!(word_diff("", "").segments, vec![]);
        assert_eq!(
            word_diff("", "new").segments,
            vec![seg(DiffOp::Insert, "new")]
        );
    }

    #[test]
    fn unicode_stays_whole() {
        let (a, b) = (
            "Grüße aus Köln 🚀 — 東京 へ",
            "Grüße nach Köln 🚀🚀 — 東京 へ",
        );
        let d = word_diff(a, b);
        assert_eq!(sides(&d), (a.to_string(), b.to_string()));
        assert!(d.segments.contains(&seg(DiffOp::Delete, "aus")));
        assert!(d.segments.contains(&seg(DiffOp::Insert, "nach")));
        assert!(d.segments.contains(&seg(DiffOp::Delete, "🚀")));
        assert!(d.segments.contains(&seg(DiffOp::Insert, "🚀🚀")));
        // Serialised with the op names the page reads.
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v["segments"][0],
            serde_json::json!({"op": "equal", "text": "Grüße "})
        );
    }

    #[test]
    fn a_side_over_the_cap_gets_no_diff() {
        let limits = DiffLimits {
            max_bytes: 10,
            timeout: Duration::from_secs(1),
        };
        let d = word_diff_with("0123456789", "01234567890", limits);
        assert!(d.too_large);
        assert!(d.segments.is_empty());
        let d = word_diff_with("0123456789", "0123456789", limits);
        assert!(!d.too_large, "exactly at the cap is fine");
        let big = "word ".repeat(20_000);
        assert!(
            word_diff(&big, "x").too_large,
            "100 KB is over the default 64 KB"
        );
    }

    #[test]
    fn a_diff_past_its_time_limit_is_coarse_but_valid() {
        // Two long texts that differ everywhere: the minimal diff is expensive to find.
        let a: String = (0..4_000).map(|i| format!("a{} ", i * 7 % 1000)).collect();
        let b: String = (0..4_000).map(|i| format!("a{} ", i * 13 % 1000)).collect();
        let d = word_diff_with(
            &a,
            &b,
            DiffLimits {
                max_bytes: 1 << 20,
                timeout: Duration::ZERO,
            },
        );
        assert!(d.timed_out);
        assert!(!d.too_large);
        assert_eq!(sides(&d), (a.clone(), b.clone()), "still spells both texts");
        let full = word_diff_with(
            &a,
            &b,
            DiffLimits {
                max_bytes: 1 << 20,
                timeout: Duration::from_secs(30),
            },
        );
        assert!(!full.timed_out);
        assert_eq!(sides(&full), (a, b));
    }
}
