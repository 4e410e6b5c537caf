//! Names that `assay import` derives from a source: slugs for benches and channels, and the
//! stable case ids of promptfoo tests.

use serde_json::{json, Value};

use crate::server::hash::{canonical_json, sha256_hex};

/// The longest bench or channel name Assay accepts.
const MAX_SLUG: usize = 128;

/// A bench or channel name from any text: every character outside `[A-Za-z0-9._-]` becomes `-`
/// (`inspect_evals/mmlu_0_shot` → `inspect_evals-mmlu_0_shot`), cut to 128 characters. None when
/// nothing is left.
pub fn slug(s: &str) -> Option<String> {
    let out: String = s
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(MAX_SLUG)
        .collect();
    (!out.is_empty()).then_some(out)
}

/// A promptfoo test's case id: a hash of its description and vars, so the same test keeps its
/// id across columns, repeats and files (promptfoo gives repeats new row indexes).
pub fn test_case_id(description: Option<&str>, vars: &Value) -> String {
    let key = canonical_json(&json!({"description": description, "vars": vars}));
    sha256_hex(key.as_bytes())[..16].to_string()
}

/// A case name from free text: the first line, at most 80 characters.
pub fn short_name(text: &str) -> Option<String> {
    let line = text.trim().lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return None;
    }
    let mut out: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        out.push('…');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_replace_every_other_character() {
        assert_eq!(slug("inspect_evals/mmlu_0_shot").as_deref(), Some("inspect_evals-mmlu_0_shot"));
        assert_eq!(slug("Capitals: echo smoke").as_deref(), Some("Capitals--echo-smoke"));
        assert_eq!(slug("mockllm/model").as_deref(), Some("mockllm-model"));
        assert_eq!(slug("café v1.2").as_deref(), Some("caf--v1.2"));
        assert_eq!(slug("  "), None);
        assert_eq!(slug(&"x".repeat(300)).map(|s| s.len()), Some(128));
    }

    #[test]
    fn test_ids_are_stable_and_tell_tests_apart() {
        let a = test_case_id(Some("france"), &json!({"country": "France", "n": 1}));
        assert_eq!(a, test_case_id(Some("france"), &json!({"n": 1, "country": "France"})), "key order is irrelevant");
        assert_eq!(a.len(), 16);
        assert_ne!(a, test_case_id(None, &json!({"country": "France", "n": 1})));
        assert_ne!(a, test_case_id(Some("france"), &json!({"country": "Japan", "n": 1})));
    }

    #[test]
    fn short_names_take_the_first_line() {
        assert_eq!(short_name("  What is 2+2?\nmore").as_deref(), Some("What is 2+2?"));
        assert_eq!(short_name(&"é".repeat(100)).map(|s| s.chars().count()), Some(81));
        assert_eq!(short_name("\n  \n"), None);
    }
}
