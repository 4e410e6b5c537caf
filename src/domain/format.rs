//! Display helpers shared by server rendering and the browser, so both render the same text
//! (no clock or locale: a page must hydrate onto exactly what the server sent).

/// Milliseconds since the epoch of a `YYYY-MM-DDTHH:MM:SS(.mmm)Z` timestamp, as the API writes them.
pub fn parse_ts(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b[19] == b'.' { num(20..23).unwrap_or(0) } else { 0 };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms)
}

/// The API's timestamp (`YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC) of epoch milliseconds: the inverse
/// of [`parse_ts`].
pub fn ms_to_ts(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        (rem / 60_000) % 60,
        (rem / 1000) % 60,
        rem % 1000
    )
}

/// `2026-11-22 19:34` (UTC) from an API timestamp.
pub fn short_ts(s: &str) -> String {
    match s.get(0..16) {
        Some(head) => head.replacen('T', " ", 1),
        None => s.to_string(),
    }
}

/// `11-22 19:34` (UTC): [`short_ts`] without the year, for dense tables (the full timestamp
/// goes in a title).
pub fn day_ts(s: &str) -> String {
    match s.get(5..16) {
        Some(tail) => tail.replacen('T', " ", 1),
        None => s.to_string(),
    }
}

/// A duration as people read it: `850 ms`, `12.4 s`, `3 m 05 s`, `2 h 03 m`.
pub fn duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} m {:02} s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{} h {:02} m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

/// A change in dollars with its sign: `+$0.0120`, `−$0.0030`.
pub fn usd_delta(v: f64) -> String {
    if v < 0.0 {
        format!("−{}", usd(-v))
    } else if v > 0.0 {
        format!("+{}", usd(v))
    } else {
        usd(0.0)
    }
}

/// A score on its scale: 0.734 on 0–1, 73.4 on 0–100.
pub fn score(v: Option<f64>, score_max: f64) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if score_max > 1.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{:.1}%", x * 100.0))
}

/// Dollars with enough digits for per-case costs.
pub fn usd(v: f64) -> String {
    if v == 0.0 {
        "$0".to_string()
    } else if v < 0.01 {
        format!("${v:.4}")
    } else {
        format!("${v:.2}")
    }
}

/// A change with its sign (a real minus sign, like the rest of the dashboard); no sign on what
/// rounds to zero.
pub fn signed(v: f64, digits: usize) -> String {
    let s = format!("{:.digits$}", v.abs());
    if s.bytes().all(|b| b == b'0' || b == b'.') {
        s
    } else if v > 0.0 {
        format!("+{s}")
    } else {
        format!("−{s}")
    }
}

/// A p-value: four decimals, or scientific below 1e-4.
pub fn p_value(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// Stored JSON as people read it: a JSON string as its text, anything else indented.
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        v => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// The same on one line (a metadata value in a link): a string as its text, else compact JSON.
pub fn json_inline(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_like_the_server_writes_them() {
        assert_eq!(parse_ts("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_ts("2026-11-22T19:34:00.123Z"), Some(1_795_376_040_123));
        assert_eq!(parse_ts("2024-02-29T12:00:00Z"), Some(1_709_208_000_000));
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(short_ts("2026-11-22T19:34:00.123Z"), "2026-11-22 19:34");
        assert_eq!(day_ts("2026-11-22T19:34:00.123Z"), "11-22 19:34");
        assert_eq!(day_ts("soon"), "soon");
    }

    #[test]
    fn display_formats() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_400), "12.4 s");
        assert_eq!(duration(185_000), "3 m 05 s");
        assert_eq!(duration(7_380_000), "2 h 03 m");
        assert_eq!(score(Some(0.7345), 1.0), "0.735");
        assert_eq!(score(Some(73.45), 100.0), "73.5");
        assert_eq!(score(None, 1.0), "—");
        assert_eq!(percent(Some(0.5)), "50.0%");
        assert_eq!(usd(0.0035), "$0.0035");
        assert_eq!(usd(12.5), "$12.50");
    }

    #[test]
    fn ms_to_ts_inverts_parse_ts() {
        for ts in ["1970-01-01T00:00:00.000Z", "2026-11-22T23:27:11.042Z", "2000-02-29T12:00:59.999Z", "1969-12-31T23:59:59.000Z"] {
            let ms = parse_ts(ts).unwrap();
            assert_eq!(ms_to_ts(ms), ts);
        }
        assert_eq!(ms_to_ts(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn signed_numbers_use_a_real_minus_and_no_signed_zero() {
        assert_eq!(signed(-0.142857, 3), "−0.143");
        assert_eq!(signed(0.25, 2), "+0.25");
        assert_eq!(signed(-0.0001, 3), "0.000");
        assert_eq!((p_value(0.001953125), p_value(1.3e-23)), ("0.0020".to_string(), "1.3e-23".to_string()));
    }

    #[test]
    fn stored_json_reads_as_text() {
        let v = serde_json::json!({"question": "<b>why</b>"});
        assert_eq!(json_text(&v), "{\n  \"question\": \"<b>why</b>\"\n}");
        assert_eq!(json_inline(&v), "{\"question\":\"<b>why</b>\"}");
        assert_eq!(json_text(&serde_json::json!("plain")), "plain");
        assert_eq!(json_inline(&serde_json::json!(3)), "3");
    }

    #[test]
    fn usd_delta_carries_its_sign() {
        assert_eq!(usd_delta(-0.003), "−$0.0030");
        assert_eq!(usd_delta(0.5), "+$0.50");
        assert_eq!(usd_delta(0.0), "$0");
    }
}
