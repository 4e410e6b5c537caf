//! Building the list queries: placeholders numbered as arguments are pushed, comma lists,
//! LIKE patterns, opaque keyset cursors and page limits.

use serde_json::Value;

use crate::server::store::{StoreError, StoreResult};
use crate::server::sql::{Backend, Val};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Placeholders numbered as arguments are pushed.
pub(crate) struct Sql {
    pub args: Vec<Val>,
    pub backend: Backend,
}

impl Sql {
    pub fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    pub fn like(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

/// `column IN ($a, $b, …)` for a comma-separated list of `value`s, each checked by `valid`.
pub(crate) fn in_list(
    sql: &mut Sql,
    column: &str,
    field: &str,
    value: &str,
    valid: impl Fn(&str) -> bool,
) -> StoreResult<String> {
    let mut ps = Vec::new();
    for one in value.split(',').map(str::trim) {
        if !valid(one) {
            return Err(StoreError::invalid(field, format!("unknown {field} '{one}'")));
        }
        ps.push(sql.arg(one));
    }
    Ok(format!("{column} IN ({})", ps.join(",")))
}

/// `%text%` with LIKE's wildcards escaped (used with `ESCAPE '\'`).
pub(crate) fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Cursors are opaque to clients: hex of a small JSON array.
pub(crate) fn encode_cursor(v: &Value) -> String {
    hex::encode(v.to_string())
}

pub(crate) fn decode_cursor(s: &str) -> StoreResult<Vec<Value>> {
    let bad = || StoreError::invalid("cursor", "not a cursor this server handed out");
    let bytes = hex::decode(s).map_err(|_| bad())?;
    match serde_json::from_slice::<Value>(&bytes).map_err(|_| bad())? {
        Value::Array(items) => Ok(items),
        _ => Err(bad()),
    }
}

pub(crate) fn limit(l: Option<i64>) -> StoreResult<i64> {
    match l {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(StoreError::invalid("limit", format!("must lie in [1, {MAX_LIMIT}]"))),
    }
}

pub(crate) fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = encode_cursor(&serde_json::json!([1732300000000i64, 42]));
        assert_eq!(decode_cursor(&c).unwrap(), vec![serde_json::json!(1732300000000i64), serde_json::json!(42)]);
        assert_eq!(decode_cursor("zz").unwrap_err().field_name(), Some("cursor"));
        assert!(decode_cursor(&hex::encode("{}")).is_err());
    }
}
