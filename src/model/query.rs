//! The filters of the run and result lists, shared by the JSON API, the store and the pages:
//! parsed from a query string in one place and rendered back to one, so a page's URL and the
//! API's parameters can never drift apart.

use serde::{Deserialize, Serialize};

/// Filters of `GET /api/runs` and of the `/runs` page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunsQuery {
    pub bench: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub triggered_by: Option<String>,
    pub q: Option<String>,
    /// `meta.KEY=value` pairs.
    #[serde(default)]
    pub meta: Vec<(String, String)>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Filters and order of `GET /api/runs/{id}/results` and of the `/runs/{id}` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultsQuery {
    pub status: Option<String>,
    pub verdict: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A query parameter that would not parse; names the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadParam(pub &'static str);

fn limit(v: &str) -> Result<Option<i64>, BadParam> {
    v.parse().map(Some).map_err(|_| BadParam("limit"))
}

impl RunsQuery {
    /// From decoded query pairs; empty values count as absent, the last of a repeated key wins.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, BadParam> {
        let mut q = RunsQuery::default();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            let s = Some(v.to_string());
            match k {
                "bench" => q.bench = s,
                "channel" => q.channel = s,
                "status" => q.status = s,
                "triggered_by" => q.triggered_by = s,
                "q" => q.q = s,
                "cursor" => q.cursor = s,
                "limit" => q.limit = limit(v)?,
                _ => {
                    if let Some(key) = k.strip_prefix("meta.").filter(|key| !key.is_empty()) {
                        q.meta.push((key.to_string(), v.to_string()));
                    }
                }
            }
        }
        Ok(q)
    }

    /// The query string of these filters (the cursor only when `with_cursor`; never the limit).
    pub fn to_query(&self, with_cursor: bool) -> String {
        let mut pairs: Vec<(String, &str)> = [
            ("bench", &self.bench),
            ("channel", &self.channel),
            ("status", &self.status),
            ("triggered_by", &self.triggered_by),
            ("q", &self.q),
            ("cursor", if with_cursor { &self.cursor } else { &None }),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
        .collect();
        pairs.extend(self.meta.iter().map(|(k, v)| (format!("meta.{k}"), v.as_str())));
        join(&pairs)
    }
}

impl ResultsQuery {
    /// From decoded query pairs; empty values count as absent, the last of a repeated key wins.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, BadParam> {
        let mut q = ResultsQuery::default();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            let s = Some(v.to_string());
            match k {
                "status" => q.status = s,
                "verdict" => q.verdict = s,
                "tag" => q.tag = s,
                "q" => q.q = s,
                "sort" => q.sort = s,
                "cursor" => q.cursor = s,
                "limit" => q.limit = limit(v)?,
                _ => {}
            }
        }
        Ok(q)
    }

    /// The query string of this state (the cursor only when `with_cursor`; never the limit).
    pub fn to_query(&self, with_cursor: bool) -> String {
        let pairs: Vec<(String, &str)> = [
            ("status", &self.status),
            ("verdict", &self.verdict),
            ("tag", &self.tag),
            ("q", &self.q),
            ("sort", &self.sort),
            ("cursor", if with_cursor { &self.cursor } else { &None }),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
        .collect();
        join(&pairs)
    }
}

fn join(pairs: &[(String, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

/// Percent-encode a URL path segment or query component.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page of a script version: `/scripts/{kind}/{name}/v/{number}`.
pub fn version_href(kind: &str, name: &str, number: i64) -> String {
    format!("/scripts/{kind}/{}/v/{number}", urlencode(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_query_round_trips_through_a_query_string() {
        let q = RunsQuery {
            bench: Some("support refunds".into()),
            status: Some("running".into()),
            q: Some("".into()),
            meta: vec![("branch".into(), "feat/x".into())],
            cursor: Some("abc".into()),
            ..Default::default()
        };
        assert_eq!(q.to_query(false), "bench=support%20refunds&status=running&meta.branch=feat%2Fx");
        assert_eq!(q.to_query(true), "bench=support%20refunds&status=running&cursor=abc&meta.branch=feat%2Fx");
        let parsed = RunsQuery::from_pairs([
            ("bench", "support refunds"),
            ("status", "running"),
            ("q", ""),
            ("cursor", "abc"),
            ("meta.branch", "feat/x"),
            ("meta.", "ignored"),
        ])
        .unwrap();
        assert_eq!(parsed, RunsQuery { q: None, ..q });
        assert_eq!(RunsQuery::from_pairs([("limit", "10")]).unwrap().limit, Some(10));
        assert_eq!(RunsQuery::from_pairs([("limit", "x")]), Err(BadParam("limit")));
        assert_eq!(urlencode("é/ "), "%C3%A9%2F%20");
        assert_eq!(version_href("judge", "a b", 3), "/scripts/judge/a%20b/v/3");
    }

    #[test]
    fn results_query_round_trips_through_a_query_string() {
        let q = ResultsQuery {
            status: Some("ok".into()),
            q: Some("50% off".into()),
            sort: Some("-score".into()),
            cursor: Some("ab".into()),
            ..Default::default()
        };
        assert_eq!(q.to_query(false), "status=ok&q=50%25%20off&sort=-score");
        assert_eq!(q.to_query(true), "status=ok&q=50%25%20off&sort=-score&cursor=ab");
        let parsed = ResultsQuery::from_pairs([("status", "ok"), ("q", "50% off"), ("sort", "-score"), ("cursor", "ab"), ("tag", "")]).unwrap();
        assert_eq!(parsed, q);
        assert_eq!(ResultsQuery::from_pairs([("limit", "")]).unwrap().limit, None);
    }
}
