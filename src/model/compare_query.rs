//! The query of the compare page (`/compare`) and of the compare API routes
//! (`/api/runs/{a}/compare/{b}`, the seed's `/bench-runs/{a}/compare/{b}`, `/api/compare`):
//! parsed from decoded pairs in one place and rendered back to a URL, so the page, its server
//! functions and the API read every parameter the same way and answer the same errors.

use serde::{Deserialize, Serialize};

use super::compare::{CaseFlag, Flag};
use super::query::urlencode;

/// Which URL a query belongs to: each reads its own keys and ignores the others (as it always
/// has: the pairwise API never looked at `flag`, so a bad one is no error there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareUrl {
    /// `/compare`: `a`, `b`, `runs`, `pick` (repeated, from the run list), `flag`, `sort`,
    /// `page`, `epsilon`, `open`.
    Page,
    /// `/api/runs/{a}/compare/{b}`: `epsilon`, `format`, `case_dimensions`.
    PairApi,
    /// The seed's `/bench-runs/{a}/compare/{b}` (JSON only): `epsilon`, `case_dimensions`.
    SeedApi,
    /// `/api/compare`: `runs`, `flag` (score flags, comma-separated), `epsilon`, `format`.
    NWayApi,
}

impl CompareUrl {
    fn reads(self, key: &str) -> bool {
        let keys: &[&str] = match self {
            CompareUrl::Page => &["a", "b", "runs", "pick", "flag", "sort", "page", "epsilon", "open", "target_delta", "bench", "x", "y"],
            CompareUrl::PairApi => &["epsilon", "format", "case_dimensions", "target_delta"],
            CompareUrl::SeedApi => &["epsilon", "case_dimensions"],
            CompareUrl::NWayApi => &["runs", "flag", "epsilon", "format"],
        };
        keys.contains(&key)
    }
}

/// The order of a pairwise comparison's case table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseSort {
    /// Worst regressions first; one-sided and missing cases after (`delta`, the default).
    #[default]
    Delta,
    /// Best improvements first (`-delta`).
    DeltaDesc,
    /// Biggest cost increase first (`cost`).
    Cost,
    /// By case id (`case`).
    Case,
}

impl CaseSort {
    pub const ALL: [CaseSort; 4] = [CaseSort::Delta, CaseSort::DeltaDesc, CaseSort::Cost, CaseSort::Case];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseSort::Delta => "delta",
            CaseSort::DeltaDesc => "-delta",
            CaseSort::Cost => "cost",
            CaseSort::Case => "case",
        }
    }

    pub fn parse(s: &str) -> Option<CaseSort> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// `format=` of the pairwise and N-way APIs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    #[default]
    Json,
    Csv,
}

/// A parameter that cannot be used: the field and why (the API answers it as a 422, the page
/// shows it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub field: &'static str,
    pub message: String,
}

impl QueryError {
    fn new(field: &'static str, message: String) -> Self {
        QueryError { field, message }
    }
}

impl From<QueryError> for super::app_error::AppError {
    fn from(e: QueryError) -> Self {
        super::app_error::AppError::invalid(e.field, e.message)
    }
}

/// Everything a compare URL can say. Empty values count as absent; of a repeated key the last
/// counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareQuery {
    /// Pairwise page: baseline a and run b (the API has them in its path).
    pub a: Option<i64>,
    pub b: Option<i64>,
    /// N-way: the runs, the baseline first; empty for a pairwise view.
    pub runs: Vec<i64>,
    /// Keep the rows with one of these flags (empty: every row).
    pub flags: Vec<CaseFlag>,
    pub sort: CaseSort,
    /// The page of rows, from 1 (not a number, or 0: the first; past the end: the last).
    pub page: usize,
    /// The score tolerance; its range is checked where it is used (the store).
    pub epsilon: Option<f64>,
    /// The case whose word diff is open.
    pub open: Option<String>,
    pub format: ExportFormat,
    pub case_dimensions: Option<bool>,
    /// A mean delta the reader wants to be able to detect: the report says how many cases that needs.
    pub target_delta: Option<f64>,
    /// The living channel link: the latest completed full run of channel `x` of `bench` as the
    /// baseline against that of channel `y`, resolved when the page is opened.
    pub channels: Option<ChannelPair>,
}

/// `bench`, `x` and `y` of a living channel link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelPair {
    pub bench: String,
    pub x: String,
    pub y: String,
}

impl Default for CompareQuery {
    fn default() -> Self {
        CompareQuery {
            a: None,
            b: None,
            runs: Vec::new(),
            flags: Vec::new(),
            sort: CaseSort::Delta,
            page: 1,
            epsilon: None,
            open: None,
            format: ExportFormat::Json,
            case_dimensions: None,
            target_delta: None,
            channels: None,
        }
    }
}

fn run_id(field: &'static str, v: &str) -> Result<i64, QueryError> {
    v.trim().parse::<i64>().map_err(|_| QueryError::new(field, format!("'{v}' is not a run id")))
}

fn unknown_flag(f: &str, known: &[&str]) -> QueryError {
    QueryError::new("flag", format!("unknown flag '{f}': use {}", known.join(", ")))
}

/// A comma list of flags: any flag on the page, score flags only on the N-way API.
fn flags(url: CompareUrl, list: &str) -> Result<Vec<CaseFlag>, QueryError> {
    let known: Vec<&str> = match url {
        CompareUrl::NWayApi => Flag::ALL.iter().map(|f| f.as_str()).collect(),
        _ => CaseFlag::ALL.iter().map(|f| f.as_str()).collect(),
    };
    list.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| match CaseFlag::parse(f) {
            Some(flag) if known.contains(&flag.as_str()) => Ok(flag),
            _ => Err(unknown_flag(f, &known)),
        })
        .collect()
}

impl CompareQuery {
    /// Parse the decoded query pairs of `url`. The fields are checked in a fixed order (so a
    /// URL with two bad values always names the same one).
    pub fn parse<'a>(url: CompareUrl, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, QueryError> {
        let mut last: Vec<(&str, &str)> = Vec::new();
        let mut picks = Vec::new();
        for (k, v) in pairs {
            if v.is_empty() || !url.reads(k) {
                continue;
            }
            if k == "pick" {
                picks.push(run_id("pick", v)?);
            } else if let Some(slot) = last.iter_mut().find(|(key, _)| *key == k) {
                slot.1 = v;
            } else {
                last.push((k, v));
            }
        }
        let get = |key: &str| last.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let mut q = CompareQuery {
            a: get("a").map(|v| run_id("a", v)).transpose()?,
            b: get("b").map(|v| run_id("b", v)).transpose()?,
            runs: get("runs").map(|v| v.split(',').map(|r| run_id("runs", r)).collect::<Result<Vec<i64>, _>>()).transpose()?.unwrap_or_default(),
            flags: get("flag").map(|v| flags(url, v)).transpose()?.unwrap_or_default(),
            ..CompareQuery::default()
        };
        if let Some(v) = get("sort") {
            q.sort = CaseSort::parse(v).ok_or_else(|| {
                let all: Vec<&str> = CaseSort::ALL.iter().map(|s| s.as_str()).collect();
                QueryError::new("sort", format!("unknown sort '{v}': use {}", all.join(", ")))
            })?;
        }
        q.format = match get("format") {
            None | Some("json") => ExportFormat::Json,
            Some("csv") => ExportFormat::Csv,
            Some(other) => return Err(QueryError::new("format", format!("unknown format '{other}': use json or csv"))),
        };
        q.case_dimensions = match get("case_dimensions") {
            None => None,
            Some("false") | Some("0") => Some(false),
            Some("true") | Some("1") => Some(true),
            Some(other) => return Err(QueryError::new("case_dimensions", format!("'{other}' is not true or false"))),
        };
        q.epsilon = get("epsilon")
            .map(|v| v.trim().parse::<f64>().map_err(|_| QueryError::new("epsilon", format!("'{v}' is not a number"))))
            .transpose()?;
        q.target_delta = get("target_delta")
            .map(|v| match v.trim().parse::<f64>() {
                Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
                _ => Err(QueryError::new("target_delta", format!("'{v}' is not a positive number"))),
            })
            .transpose()?;
        q.channels = match (get("bench"), get("x"), get("y")) {
            (None, None, None) => None,
            (Some(bench), Some(x), Some(y)) => Some(ChannelPair { bench: bench.to_string(), x: x.to_string(), y: y.to_string() }),
            (None, _, _) => return Err(QueryError::new("bench", "a channel link names the bench: ?bench=B&x=canary&y=staging".to_string())),
            (_, None, _) => return Err(QueryError::new("x", "name the baseline channel: ?bench=B&x=canary&y=staging".to_string())),
            (_, _, None) => return Err(QueryError::new("y", "name the channel to compare: ?bench=B&x=canary&y=staging".to_string())),
        };
        q.page = get("page").and_then(|v| v.parse::<usize>().ok()).filter(|n| *n >= 1).unwrap_or(1);
        q.open = get("open").map(str::to_string);
        if url == CompareUrl::Page {
            q.settle_runs(picks);
        }
        Ok(q)
    }

    /// The page's runs: runs picked on the run list, oldest (lowest id) first as the baseline;
    /// two runs, picked or named, are a pairwise view.
    fn settle_runs(&mut self, mut picks: Vec<i64>) {
        if !picks.is_empty() {
            picks.sort_unstable();
            picks.dedup();
            if picks.len() == 2 {
                self.a = Some(picks[0]);
                self.b = Some(picks[1]);
            } else {
                self.runs = picks;
            }
        }
        if self.runs.len() == 2 && self.a.is_none() && self.b.is_none() {
            self.a = Some(self.runs[0]);
            self.b = Some(self.runs[1]);
            self.runs.clear();
        }
    }

    pub fn is_nway(&self) -> bool {
        !self.runs.is_empty()
    }

    /// Baseline a and run b of a pairwise view.
    pub fn pair(&self) -> Option<(i64, i64)> {
        if self.is_nway() {
            return None;
        }
        self.a.zip(self.b)
    }

    /// The flags as score flags (an N-way view flags scores only).
    pub fn score_flags(&self) -> Result<Vec<Flag>, QueryError> {
        self.flags
            .iter()
            .map(|f| match f {
                CaseFlag::Score(f) => Ok(*f),
                CaseFlag::Cost(c) => Err(unknown_flag(c.as_str(), &Flag::ALL.map(Flag::as_str))),
            })
            .collect()
    }

    /// This view's page URL with some parts changed.
    pub fn href(&self, f: impl FnOnce(&mut CompareQuery)) -> String {
        let mut p = self.clone();
        f(&mut p);
        let mut q: Vec<String> = Vec::new();
        if let Some(c) = &p.channels {
            q.push(format!("bench={}&x={}&y={}", urlencode(&c.bench), urlencode(&c.x), urlencode(&c.y)));
        } else if p.is_nway() {
            q.push(format!("runs={}", p.runs.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",")));
        } else {
            q.extend(p.a.map(|a| format!("a={a}")));
            q.extend(p.b.map(|b| format!("b={b}")));
        }
        if !p.flags.is_empty() {
            let list: Vec<&str> = p.flags.iter().map(|f| f.as_str()).collect();
            q.push(format!("flag={}", urlencode(&list.join(","))));
        }
        if p.sort != CaseSort::Delta {
            q.push(format!("sort={}", urlencode(p.sort.as_str())));
        }
        q.extend(p.epsilon.map(|e| format!("epsilon={e}")));
        if p.page > 1 {
            q.push(format!("page={}", p.page));
        }
        q.extend(p.open.as_ref().map(|o| format!("open={}", urlencode(o))));
        q.extend(p.target_delta.map(|t| format!("target_delta={t}")));
        format!("/compare?{}", q.join("&"))
    }

    /// The API's answer for the pairwise view of runs `a` and `b`, with this epsilon.
    pub fn api_href(&self, a: i64, b: i64, format: ExportFormat) -> String {
        let mut q = Vec::new();
        if format == ExportFormat::Csv {
            q.push("format=csv".to_string());
        }
        q.extend(self.epsilon.map(|e| format!("epsilon={e}")));
        let base = format!("/api/runs/{a}/compare/{b}");
        if q.is_empty() { base } else { format!("{base}?{}", q.join("&")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::compare::CostFlag;

    fn page(q: &str) -> Result<CompareQuery, QueryError> {
        let pairs: Vec<(&str, &str)> = q.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))).collect();
        CompareQuery::parse(CompareUrl::Page, pairs)
    }

    #[test]
    fn picks_become_a_baseline_and_a_run_or_an_nway_view() {
        let p = page("pick=9&pick=4").unwrap();
        assert_eq!((p.a, p.b, p.runs.clone()), (Some(4), Some(9), vec![]));
        let p = page("pick=9&pick=4&pick=7").unwrap();
        assert_eq!((p.a, p.b, p.runs.clone()), (None, None, vec![4, 7, 9]));
        let p = page("runs=3,1").unwrap();
        assert_eq!((p.a, p.b), (Some(3), Some(1)), "two runs named in order keep their order");
        assert_eq!(p.pair(), Some((3, 1)));
        let p = page("runs=5,1,2&flag=regressed&page=2").unwrap();
        assert!(p.is_nway() && p.pair().is_none());
        assert_eq!(p.href(|q| q.page = 1), "/compare?runs=5,1,2&flag=regressed");
        assert_eq!(page("a=1").unwrap().pair(), None, "one run: choose another");
    }

    #[test]
    fn hrefs_round_trip() {
        let p = page("a=1&b=2&flag=cost_regressed&sort=-delta&epsilon=0.01&page=3&open=x%2Fy").unwrap();
        assert_eq!(p.open.as_deref(), Some("x%2Fy"), "the router decodes values; pairs here are raw");
        assert_eq!(p.flags, [CaseFlag::Cost(CostFlag::CostRegressed)]);
        assert_eq!(p.sort, CaseSort::DeltaDesc);
        let p = CompareQuery { open: Some("x/y é".into()), ..p };
        let href = p.href(|_| {});
        assert_eq!(href, "/compare?a=1&b=2&flag=cost_regressed&sort=-delta&epsilon=0.01&page=3&open=x%2Fy%20%C3%A9");
        assert_eq!(page(href.trim_start_matches("/compare?")).unwrap().sort, CaseSort::DeltaDesc);
        assert_eq!(p.api_href(1, 2, ExportFormat::Csv), "/api/runs/1/compare/2?format=csv&epsilon=0.01");
        assert_eq!(CompareQuery::default().api_href(1, 2, ExportFormat::Json), "/api/runs/1/compare/2");
    }

    #[test]
    fn bad_values_name_their_field() {
        for (q, field, message) in [
            ("a=1&b=2&epsilon=abc", "epsilon", "'abc' is not a number"),
            ("a=x&b=2", "a", "'x' is not a run id"),
            ("runs=1,x,3", "runs", "'x' is not a run id"),
            ("a=1&b=2&flag=worse", "flag", "unknown flag 'worse': use regressed, improved, unchanged, missing_a, missing_b, cost_regressed, cost_improved, cost_unchanged"),
            ("a=1&b=2&sort=up", "sort", "unknown sort 'up': use delta, -delta, cost, case"),
            ("pick=1&pick=y", "pick", "'y' is not a run id"),
        ] {
            assert_eq!(page(q), Err(QueryError { field, message: message.to_string() }), "{q}");
        }
        // Values the page never reads are no error on the page, and empty ones are absent.
        let p = page("a=1&b=2&format=xml&case_dimensions=maybe&epsilon=&page=x").unwrap();
        assert_eq!((p.epsilon, p.page, p.format), (None, 1, ExportFormat::Json));
        // A range is the store's to check: NaN parses here.
        assert!(page("a=1&b=2&epsilon=NaN").unwrap().epsilon.unwrap().is_nan());
    }

    #[test]
    fn each_api_route_reads_its_own_keys() {
        let api = |url, q: &[(&'static str, &'static str)]| CompareQuery::parse(url, q.iter().copied());
        let q = api(CompareUrl::PairApi, &[("format", "csv"), ("case_dimensions", "1"), ("flag", "worse"), ("epsilon", "0.5")]).unwrap();
        assert_eq!((q.format, q.case_dimensions, q.epsilon, q.flags.len()), (ExportFormat::Csv, Some(true), Some(0.5), 0));
        assert_eq!(api(CompareUrl::PairApi, &[("case_dimensions", "maybe")]).unwrap_err().field, "case_dimensions");
        assert_eq!(api(CompareUrl::SeedApi, &[("format", "xml")]).unwrap().format, ExportFormat::Json, "the seed's route has no format");
        assert_eq!(
            api(CompareUrl::PairApi, &[("format", "xml")]).unwrap_err().message,
            "unknown format 'xml': use json or csv"
        );
        let q = api(CompareUrl::NWayApi, &[("runs", "3, 4,5"), ("flag", "missing_a,missing_b"), ("sort", "nonsense")]).unwrap();
        assert_eq!((q.runs.clone(), q.score_flags().unwrap()), (vec![3, 4, 5], vec![Flag::MissingA, Flag::MissingB]));
        let e = api(CompareUrl::NWayApi, &[("runs", "3,4"), ("flag", "cost_regressed")]).unwrap_err();
        assert_eq!(e.message, "unknown flag 'cost_regressed': use improved, regressed, unchanged, missing_a, missing_b");
        // The N-way API keeps two runs as two columns; the page turns them into a pair.
        assert!(api(CompareUrl::NWayApi, &[("runs", "3,4")]).unwrap().is_nway());
        // Of two bad values the earlier field in the fixed order is named, wherever it stands.
        assert_eq!(api(CompareUrl::NWayApi, &[("epsilon", "x"), ("flag", "worse")]).unwrap_err().field, "flag");
        // A cost flag on the page's N-way view.
        let p = page("runs=1,2,3&flag=cost_improved").unwrap();
        assert_eq!(p.score_flags().unwrap_err().field, "flag");
    }
}
