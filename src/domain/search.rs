//! Full-text search, the pure part shared by both backends: what a search `q` means (its words,
//! its case-text n-grams), the tokens a finished result is indexed under, and the highlighted
//! snippet a results row shows. Both backends index exactly these tokens, so SQLite's FTS5 and
//! PostgreSQL's tsvector find the same rows.
//!
//! A word is a run of alphanumeric characters, lowercased: `q` is never parsed as a query
//! language, so quotes, `*`, `-`, `:` or parentheses are separators and can never be a syntax
//! error. Case ids and names match the whole `q` as a substring; their index holds every
//! 3-character n-gram (hex-encoded, so any character is safe as a token), a candidate is always
//! rechecked against the text itself, and a `q` shorter than 3 characters is checked against
//! every case id and name of the run instead (1- and 2-grams would triple the index).

use std::collections::BTreeSet;

use crate::model::search::{Snippet, SnippetPart};

/// Longest word indexed or searched (PostgreSQL refuses lexemes over 2 KB; both backends agree).
pub const MAX_WORD_BYTES: usize = 255;
/// At most this many trigrams of a long `q` go to the index (the recheck keeps the answer exact).
pub const MAX_QUERY_GRAMS: usize = 48;
/// Characters of a snippet around its first match.
pub const SNIPPET_CHARS: usize = 160;
/// Characters shown before the first match.
const SNIPPET_LEAD: usize = 50;

/// The words of `text`, lowercased, in order (duplicates kept).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= MAX_WORD_BYTES)
        .map(str::to_lowercase)
}

/// The words of a stored JSON value's text (an output, a case's inputs): its strings, keys and
/// numbers, so escapes such as `\n` never glue two words together. Text that is not JSON is
/// read as it is.
pub fn json_words(json_text: &str, into: &mut BTreeSet<String>) {
    fn walk(v: &serde_json::Value, into: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => into.extend(words(s)),
            serde_json::Value::Number(n) => into.extend(words(&n.to_string())),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, into)),
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
                into.extend(words(k));
                walk(x, into)
            }),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(json_text) {
        Ok(v) => walk(&v, into),
        Err(_) => into.extend(words(json_text)),
    }
}

/// The readable text of a stored JSON value: a string as itself, anything else as JSON.
pub fn json_display(json_text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json_text) {
        Ok(serde_json::Value::String(s)) => s,
        _ => json_text.to_string(),
    }
}

fn hex(chars: &[char]) -> String {
    let s: String = chars.iter().collect();
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Every 3-character n-gram of a case's id and name (lowercased, hex-encoded).
pub fn case_grams(case_id: &str, case_name: Option<&str>, into: &mut BTreeSet<String>) {
    for text in std::iter::once(case_id).chain(case_name) {
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        into.extend(chars.windows(3).map(hex));
    }
}

/// A search, as the store runs it. Built only by [`SearchQuery::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// The whole `q`, trimmed: a substring of a case id or name matches.
    pub text: String,
    /// Its words, lowercased and distinct, in order: each must appear in the result's text
    /// (indexed: as a word or a word's prefix; running runs: as a substring).
    pub words: Vec<String>,
    /// The trigrams of `text` that every case id or name containing it has; none when `text` is
    /// shorter than 3 characters (then case ids and names are scanned).
    pub grams: Vec<String>,
}

/// Why a `q` cannot be searched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadSearch(pub &'static str);

impl SearchQuery {
    /// Any text is a search, except one with NUL (PostgreSQL cannot hold it) or only spaces
    /// (no search: `None`).
    pub fn parse(q: &str) -> Result<Option<SearchQuery>, BadSearch> {
        if q.contains('\0') {
            return Err(BadSearch("must not contain NUL"));
        }
        let text = q.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let mut seen = BTreeSet::new();
        let words = words(text).filter(|w| seen.insert(w.clone())).collect();
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        let grams = if chars.len() < 3 {
            Vec::new()
        } else {
            let mut seen = BTreeSet::new();
            chars.windows(3).map(hex).filter(|g| seen.insert(g.clone())).take(MAX_QUERY_GRAMS).collect()
        };
        Ok(Some(SearchQuery { text: text.to_string(), words, grams }))
    }

    /// Where in `text` this search matches (byte ranges, sorted, not overlapping): the words and
    /// the whole text, case-insensitively.
    pub fn hits(&self, text: &str) -> Vec<(usize, usize)> {
        let lower: Vec<(usize, char)> = text.char_indices().flat_map(|(i, c)| c.to_lowercase().map(move |l| (i, l))).collect();
        let folded: String = lower.iter().map(|(_, c)| *c).collect();
        // Byte offset in `folded` → byte offset in `text`.
        let mut map = Vec::with_capacity(folded.len() + 1);
        for (orig, c) in &lower {
            for _ in 0..c.len_utf8() {
                map.push(*orig);
            }
        }
        map.push(text.len());
        let end_of = |folded_end: usize| {
            // The end of the original character the folded range ends in.
            let start = map[folded_end.saturating_sub(1).min(map.len() - 1)];
            start + text[start..].chars().next().map_or(0, char::len_utf8)
        };
        let mut ranges = Vec::new();
        let whole = self.text.to_lowercase();
        for needle in std::iter::once(&whole).chain(self.words.iter()) {
            if needle.is_empty() {
                continue;
            }
            for (at, _) in folded.match_indices(needle.as_str()) {
                ranges.push((map[at], end_of(at + needle.len())));
            }
        }
        ranges.sort();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    /// A window of `text` around its first match, the matches marked; None without a match.
    pub fn snippet(&self, field: &str, text: &str) -> Option<Snippet> {
        let hits = self.hits(text);
        let first = hits.first()?.0;
        let start = floor_chars_back(text, first, SNIPPET_LEAD);
        let end = ceil_chars_forward(text, start, SNIPPET_CHARS).max(hits[0].1.min(text.len()));
        let mut parts = Vec::new();
        if start > 0 {
            parts.push(SnippetPart { text: "…".into(), hit: false });
        }
        let mut at = start;
        for &(s, e) in hits.iter().filter(|(s, _)| *s < end) {
            let (s, e) = (s.max(at), e.min(end));
            if s > at {
                parts.push(SnippetPart { text: text[at..s].to_string(), hit: false });
            }
            if e > s {
                parts.push(SnippetPart { text: text[s..e].to_string(), hit: true });
            }
            at = e.max(at);
        }
        if end > at {
            parts.push(SnippetPart { text: text[at..end].to_string(), hit: false });
        }
        if end < text.len() {
            parts.push(SnippetPart { text: "…".into(), hit: false });
        }
        Some(Snippet { field: field.to_string(), parts })
    }
}

/// The byte offset `n` characters before `at` (or 0).
fn floor_chars_back(text: &str, at: usize, n: usize) -> usize {
    text[..at].char_indices().rev().nth(n.saturating_sub(1)).map_or(0, |(i, _)| i)
}

/// The byte offset `n` characters after `from` (or the end).
fn ceil_chars_forward(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> SearchQuery {
        SearchQuery::parse(s).unwrap().unwrap()
    }

    fn marked(s: &Snippet) -> String {
        s.parts.iter().map(|p| if p.hit { format!("[{}]", p.text) } else { p.text.clone() }).collect()
    }

    #[test]
    fn hostile_text_is_only_words() {
        for (raw, want) in [
            ("\"refund", vec!["refund"]),
            ("re*fund -x", vec!["re", "fund", "x"]),
            ("title:(Refund OR \"x", vec!["title", "refund", "or", "x"]),
            ("'; DROP TABLE results; --", vec!["drop", "table", "results"]),
            ("***", vec![]),
            ("Grüße ÀB", vec!["grüße", "àb"]),
            ("a a A", vec!["a"]),
        ] {
            assert_eq!(q(raw).words, want, "{raw}");
        }
        assert_eq!(SearchQuery::parse("   ").unwrap(), None);
        assert_eq!(SearchQuery::parse("a\0b"), Err(BadSearch("must not contain NUL")));
    }

    #[test]
    fn grams_of_short_and_long_queries() {
        assert!(q("a").grams.is_empty() && q("ab").grams.is_empty(), "too short for a trigram: scanned");
        assert_eq!(q("A-1").grams, vec!["612d31"]);
        assert_eq!(q("abcd").grams, vec!["616263", "626364"]);
        assert_eq!(q("aaaa").grams, vec!["616161"], "distinct");
        assert_eq!(q(&"xy".repeat(200)).grams.len(), 2);
        let long: String = (0..300).map(|i| i.to_string()).collect();
        assert_eq!(q(&long).grams.len(), MAX_QUERY_GRAMS);
        // Every gram of a query is among the grams of a text containing it.
        let mut all = BTreeSet::new();
        case_grams("case-00042", Some("Refund question"), &mut all);
        for s in ["e-0", "00042", "refund q", "UND"] {
            assert!(q(s).grams.iter().all(|g| all.contains(g)), "{s}");
        }
        assert!(!q("zzz").grams.iter().all(|g| all.contains(g)));
    }

    #[test]
    fn json_words_read_strings_keys_and_numbers() {
        let mut w = BTreeSet::new();
        json_words(r#"{"answer": "line one\nline two", "n": 42, "ok": true}"#, &mut w);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), ["42", "answer", "line", "n", "ok", "one", "two"]);
        let mut w = BTreeSet::new();
        json_words("not json {", &mut w);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), ["json", "not"]);
        assert_eq!(json_display(r#""a\nb""#), "a\nb");
        assert_eq!(json_display(r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[test]
    fn snippets_mark_every_match_in_a_window() {
        let s = q("refund").snippet("output", "Your Refund is on its way; refunds take 3 days").unwrap();
        assert_eq!(marked(&s), "Your [Refund] is on its way; [refund]s take 3 days");
        assert_eq!(s.field, "output");
        let long = format!("{}needle{}", "x ".repeat(100), " y".repeat(200));
        let s = q("needle").snippet("error", &long).unwrap();
        let m = marked(&s);
        assert!(m.starts_with('…') && m.ends_with('…') && m.contains("[needle]"), "{m}");
        assert!(m.chars().count() <= SNIPPET_CHARS + 10, "{}", m.chars().count());
        assert_eq!(q("absent").snippet("output", "nothing here"), None);
        // The whole q and its words; overlaps merged; multi-byte text cut on char boundaries.
        let s = q("Grüße aus").snippet("case_name", "ÄÖ grüße aus Köln, GRÜSSE").unwrap();
        assert_eq!(marked(&s), "ÄÖ [grüße aus] Köln, GRÜSSE");
        let s = q("<b>").snippet("output", "<b>bold</b>").unwrap();
        assert_eq!(marked(&s), "[<b>b]old</[b]>", "the page renders parts as text, never HTML");
    }
}
