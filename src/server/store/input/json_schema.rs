//! The request checks of [`super::checks`] written as JSON Schema, for the OpenAPI
//! document: patterns, lengths and ranges that the body types carry as utoipa attributes, and
//! the few list and map schemas the attributes cannot say. A fuzzer reads them to know what is
//! valid, so each one states exactly what the server checks — no looser, no stricter (the unit
//! test below runs the patterns and the checks over the same strings).

use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// Bench and channel names (`check_slug`).
pub const SLUG: &str = r"^[A-Za-z0-9._-]{1,128}$";
/// Script names (`check_name`): no `/`, no control characters.
pub const NAME: &str = r"^[^/\u0000-\u001F\u007F-\u009F]{1,128}$";
/// Case ids (`check_case_id`): no control characters.
pub const CASE_ID: &str = r"^[^\u0000-\u001F\u007F-\u009F]{1,256}$";
/// RFC 3339 timestamps as `parse_ms` reads them: the schema's `date-time` format, spelled out
/// because generators do not all honour formats (a day past its month's end is refused by both).
pub const TIMESTAMP: &str =
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$";
/// Durations and token counts: a trillion, so a run's sums stay far inside 64 bits.
pub const MAX_COUNT: i64 = 1_000_000_000_000;
/// Costs in USD: a billion a result, so sums stay finite and exact enough.
pub const MAX_COST: f64 = 1e9;
/// The largest score scale a bench may use.
pub const MAX_SCORE_MAX: f64 = 1e6;

fn string(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern))
}

fn nullable(items: ObjectBuilder, nullable: bool) -> RefOr<Schema> {
    let array = ArrayBuilder::new().items(items);
    let array = if nullable {
        array.schema_type(utoipa::openapi::schema::SchemaType::Array(vec![Type::Array, Type::Null]))
    } else {
        array
    };
    RefOr::T(Schema::Array(array.build()))
}

/// `["production", "canary"]`: channel names.
pub fn slug_list() -> RefOr<Schema> {
    nullable(string(SLUG), false)
}

/// A case selection, or null for "every case".
pub fn case_id_list_or_null() -> RefOr<Schema> {
    nullable(string(CASE_ID), true)
}

/// Tags: 1–128 characters each.
pub fn tag_list() -> RefOr<Schema> {
    nullable(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(128)), false)
}

/// `{"accuracy": 0.8}`: named dimension scores, each at least 0 (and at most the bench's
/// `score_max`, which the schema cannot know).
pub fn dimension_scores() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))))
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
                ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0)).build(),
            )))))
            .build(),
    ))
}

/// Run metadata: a JSON object (or null for none).
pub fn object_or_null() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::Array(vec![Type::Object, Type::Null]))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::input::{check_case_id, check_name, check_slug};

    fn re(p: &str) -> regex::Regex {
        // JSON Schema's `\uXXXX` is regex's `\x{XXXX}`.
        let p = p.replace(r"\u0000", r"\x{0000}").replace(r"\u001F", r"\x{001F}");
        let p = p.replace(r"\u007F", r"\x{007F}").replace(r"\u009F", r"\x{009F}");
        regex::Regex::new(&p).unwrap()
    }

    #[test]
    fn patterns_accept_exactly_what_the_checks_accept() {
        let samples = [
            "", "a", "support-bot_v2.1", "has space", "a/b", "naïve-ü-日本", "tab\there", "nul\0", "del\u{7f}",
            "c1\u{85}", "100%", "emoji 🎉", &"x".repeat(128), &"x".repeat(129), &"é".repeat(128), &"é".repeat(129),
            &"y".repeat(256), &"y".repeat(257), "..", "-", "UPPER.lower-9",
        ];
        for s in samples {
            assert_eq!(re(SLUG).is_match(s), check_slug("f", s).is_ok(), "slug {s:?}");
            assert_eq!(re(NAME).is_match(s), check_name("f", s).is_ok(), "name {s:?}");
            assert_eq!(re(CASE_ID).is_match(s), check_case_id("f", s).is_ok(), "case id {s:?}");
        }
        // Every timestamp the pattern admits on a real calendar day parses, and junk does not.
        for s in [
            "2026-11-22T19:34:00Z", "2026-11-22t19:34:00.123456789z", "2026-11-22T19:34:00+01:00",
            "0001-01-01T00:00:00-23:59", "2026-01-31T00:00:00.5+00:00",
        ] {
            assert!(re(TIMESTAMP).is_match(s), "{s}");
            assert!(crate::server::time::parse_ms(s).is_some(), "{s}");
        }
        for s in [
            "", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T19:34Z", "yesterday",
            "2026-11-22 19:34:00Z", "1999-12-31T23:59:60Z",
        ] {
            assert!(!re(TIMESTAMP).is_match(s), "{s}");
            assert!(crate::server::time::parse_ms(s).is_none(), "{s}");
        }
    }
}
