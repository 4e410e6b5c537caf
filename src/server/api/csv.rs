//! CSV cells for the exports (compare tables, N-way matrices, a run's results): untrusted text
//! formula-guarded and quoted, numbers as they are, rows ended by CRLF (RFC 4180).

/// One CSV cell of untrusted text: a leading `= + - @` (or tab / carriage return) that a
/// spreadsheet would run as a formula gets a `'` first; cells with a comma, quote or line
/// break are quoted, quotes doubled (RFC 4180).
pub fn csv_text(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// An optional number: empty when absent.
pub fn csv_num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Append one row of ready cells to `out`.
pub fn push_row(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_text("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(csv_text("+1"), "'+1");
        assert_eq!(csv_text("-2"), "'-2");
        assert_eq!(csv_text("@cmd"), "'@cmd");
        assert_eq!(
            csv_text("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_text("a=b"), "a=b", "only a leading sign is a formula");
        assert_eq!(csv_text("Grüße"), "Grüße");
        let mut out = String::new();
        push_row(&mut out, &["a".into(), csv_num(None), csv_num(Some(0.5))]);
        assert_eq!(out, "a,,0.5\r\n");
    }
}
