//! Timestamps: stored as milliseconds since the Unix epoch, shown as RFC 3339 UTC with
//! millisecond precision and a `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn fmt_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse an RFC 3339 timestamp (any offset) to milliseconds since the epoch.
/// An RFC 3339 timestamp as JSON Schema's `date-time` reads it: chrono alone would also take a
/// space for the `T` and a leap second (`:60`), which the format does not.
pub fn parse_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(17..19) == Some(b"60") {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_millis_and_z() {
        let ms = parse_ms("2026-11-22T19:34:00.123Z").unwrap();
        assert_eq!(fmt_ms(ms), "2026-11-22T19:34:00.123Z");
        assert_eq!(fmt_ms(parse_ms("2026-11-22T20:34:00+01:00").unwrap()), "2026-11-22T19:34:00.000Z");
        assert_eq!(parse_ms("yesterday"), None);
    }
}
