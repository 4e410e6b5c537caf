//! `q` on a run's results: the condition a results page adds, and the snippets it shows.
//!
//! A result matches when the whole `q` is a substring of its case id or name, or when each word
//! of `q` is in its text (case id, name, output, case inputs, error, scorer reasons). A finished
//! run is read through its index (`store/search_index.rs`): a word of three or more characters
//! matches the words it begins, a shorter one whole words; case ids and names are found by their
//! n-grams and rechecked with LIKE. A running run (or one not indexed yet) is scanned with LIKE:
//! a word matches anywhere in the text.

use std::collections::HashMap;

use super::paging::{like_pattern, Sql};
use crate::args;
use crate::domain::search::{json_display, SearchQuery};
use crate::model::ResultSummary;
use crate::server::sql::{any_of, Backend, Keys};
use crate::server::store::{run_lexeme, Store, StoreResult};

/// Output text read for a snippet (a longer output's snippet comes from its start).
const SNIPPET_SOURCE_CHARS: i64 = 100_000;

/// How a run is searched: through its index (with the range of its result ids), or by a scan.
pub(super) enum Mode {
    Indexed { first_id: i64, last_id: i64 },
    Scan,
}

impl Store {
    pub(super) async fn search_mode(&self, run_id: i64) -> StoreResult<Mode> {
        Ok(self
            .db
            .opt::<(i64, i64)>("SELECT first_id, last_id FROM run_search WHERE run_id = $1", args![run_id])
            .await?
            .map_or(Mode::Scan, |(first_id, last_id)| Mode::Indexed { first_id, last_id }))
    }
}

/// Whether a word also matches the longer words it begins. One or two characters match whole
/// words only: their prefixes would read most of the index (every word starting with "a").
fn prefix(word: &str) -> bool {
    word.chars().count() >= 3
}

/// FTS5 strings are quoted, quotes doubled: nothing in them is query syntax.
fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A tsquery literal lexeme, quoted, quotes doubled and backslashes escaped.
fn ts_lexeme(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// The index queries of a search: the one for its words (none without words) and the one for
/// its case-text trigrams (none for a `q` under 3 characters), each answering result ids (SQLite: with the run's id range bound as
/// `$2`, `$3`).
fn index_queries(backend: Backend, s: &SearchQuery, run_id: i64) -> (Option<String>, Option<String>) {
    match backend {
        Backend::Sqlite => {
            let terms: Vec<String> =
                s.words.iter().map(|w| format!("{}{}", fts_string(w), if prefix(w) { "*" } else { "" })).collect();
            let grams: Vec<String> = s.grams.iter().map(|g| fts_string(g)).collect();
            (
                (!terms.is_empty()).then(|| format!("body : ({})", terms.join(" AND "))),
                (!grams.is_empty()).then(|| format!("grams : ({})", grams.join(" AND "))),
            )
        }
        Backend::Postgres => {
            let run = ts_lexeme(&run_lexeme(run_id));
            let terms: Vec<String> =
                s.words.iter().map(|w| format!("{}{}", ts_lexeme(w), if prefix(w) { ":*" } else { "" })).collect();
            let grams: Vec<String> = s.grams.iter().map(|g| ts_lexeme(&format!("~{g}"))).collect();
            (
                (!terms.is_empty()).then(|| format!("{run} & {}", terms.join(" & "))),
                (!grams.is_empty()).then(|| format!("{run} & {}", grams.join(" & "))),
            )
        }
    }
}

/// What the index holds for a search: the results its words match, and those whose case text
/// has its trigrams (to be rechecked). PostgreSQL reads the ids first, on their own, so the page
/// query is planned with the real number of ids (a subquery's estimate of 200 rows led it to
/// fetch 6,000 matches one by one, then sort); SQLite plans the FTS5 subqueries well inside the
/// page query (it walks the run in order while the matches are many).
pub(super) enum Candidates {
    Ids {
        words: Vec<i64>,
        /// None for a `q` too short for a trigram: case ids and names are checked row by row.
        grams: Option<Vec<i64>>,
    },
    Fts {
        words: Option<String>,
        grams: Option<String>,
        first_id: i64,
        last_id: i64,
    },
}

impl Store {
    pub(super) async fn search_candidates(&self, s: &SearchQuery, run_id: i64, mode: &Mode) -> StoreResult<Option<Candidates>> {
        let Mode::Indexed { first_id, last_id } = *mode else { return Ok(None) };
        let (words_q, grams_q) = index_queries(self.backend(), s, run_id);
        if self.backend() == Backend::Sqlite {
            return Ok(Some(Candidates::Fts { words: words_q, grams: grams_q, first_id, last_id }));
        }
        let ids = |q: String| async move {
            let rows: Vec<(i64,)> =
                self.db.all("SELECT result_id FROM result_search WHERE doc @@ $1::tsquery", args![q]).await?;
            Ok::<_, crate::server::store::StoreError>(rows.into_iter().map(|r| r.0).collect::<Vec<i64>>())
        };
        let words = match words_q {
            Some(q) => ids(q).await?,
            None => Vec::new(),
        };
        let grams = match grams_q {
            Some(q) => Some(ids(q).await?),
            None => None,
        };
        Ok(Some(Candidates::Ids { words, grams }))
    }
}

/// `column` is any of `ids`, its one parameter pushed onto `sql`.
fn any_id(sql: &mut Sql, column: &str, ids: &[i64]) -> String {
    let (pred, val) = any_of(sql.backend, column, sql.args.len() + 1, Keys::Int(ids));
    sql.args.push(val);
    pred
}

/// The condition on `r` (a results row of run `run_id`, bench `bench_id`) for search `s`: over
/// the index's candidates when the run is indexed, else a scan.
pub(super) fn condition(sql: &mut Sql, s: &SearchQuery, bench_id: i64, found: Option<&Candidates>) -> String {
    let like = sql.like();
    let p = sql.arg(like_pattern(&s.text));
    match found {
        Some(Candidates::Ids { words, grams }) => {
            let mut any = Vec::new();
            if !words.is_empty() {
                any.push(any_id(sql, "r.id", words));
            }
            let case_like = format!("(r.case_id {like} {p} ESCAPE '\\' OR r.case_name {like} {p} ESCAPE '\\')");
            match grams {
                Some(g) if g.is_empty() => {}
                Some(g) => {
                    let ids = any_id(sql, "r.id", g);
                    any.push(format!("({ids} AND {case_like})"));
                }
                None => any.push(case_like),
            }
            if any.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("({})", any.join(" OR "))
            }
        }
        Some(Candidates::Fts { words, grams, first_id, last_id }) => {
            let (lo, hi) = (sql.arg(*first_id), sql.arg(*last_id));
            let mut fts = |q: &str| {
                let m = sql.arg(q.to_string());
                format!("SELECT rowid FROM result_fts WHERE result_fts MATCH {m} AND rowid BETWEEN {lo} AND {hi}")
            };
            let words = words.as_deref().map(&mut fts);
            let grams = grams.as_deref().map(&mut fts);
            let case_like = |t: &str| format!("({t}.case_id {like} {p} ESCAPE '\\' OR {t}.case_name {like} {p} ESCAPE '\\')");
            match (words, grams) {
                (w, Some(g)) => {
                    let rechecked = format!("SELECT c.id FROM results c WHERE c.id IN ({g}) AND {}", case_like("c"));
                    let all: Vec<String> = w.into_iter().chain(std::iter::once(rechecked)).collect();
                    format!("r.id IN ({})", all.join(" UNION ALL "))
                }
                (Some(w), None) => format!("(r.id IN ({w}) OR {})", case_like("r")),
                (None, None) => case_like("r"),
            }
        }
        None => {
            let mut any = format!("r.case_id {like} {p} ESCAPE '\\' OR r.case_name {like} {p} ESCAPE '\\'");
            if !s.words.is_empty() {
                let pb = sql.arg(bench_id);
                let each: Vec<String> = s
                    .words
                    .iter()
                    .map(|w| {
                        let t = sql.arg(like_pattern(w));
                        format!(
                            "(r.case_id {like} {t} ESCAPE '\\' OR r.case_name {like} {t} ESCAPE '\\' \
                             OR r.error {like} {t} ESCAPE '\\' \
                             OR EXISTS (SELECT 1 FROM result_outputs o WHERE o.result_id = r.id \
                                        AND o.workflow_output {like} {t} ESCAPE '\\') \
                             OR EXISTS (SELECT 1 FROM scorer_results s WHERE s.result_id = r.id \
                                        AND s.reason {like} {t} ESCAPE '\\') \
                             OR EXISTS (SELECT 1 FROM cases k WHERE k.bench_id = {pb} AND k.case_id = r.case_id \
                                        AND k.inputs {like} {t} ESCAPE '\\'))"
                        )
                    })
                    .collect();
                any = format!("{any} OR ({})", each.join(" AND "));
            }
            format!("({any})")
        }
    }
}

impl Store {
    /// Each row's snippet: the first field, in the order a reader looks (output, error, scorer
    /// reasons, inputs, case name, case id), where the search matches.
    pub(super) async fn attach_snippets(
        &self,
        bench_id: i64,
        s: &SearchQuery,
        rows: &mut [ResultSummary],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let backend = self.backend();
        let (pred, keys) = any_of(backend, "result_id", 1, Keys::Int(&ids));
        let outputs: HashMap<i64, String> = self
            .db
            .all::<(i64, Option<String>)>(
                &format!(
                    "SELECT result_id, substr(workflow_output, 1, {SNIPPET_SOURCE_CHARS}) FROM result_outputs WHERE {pred}"
                ),
                vec![keys],
            )
            .await?
            .into_iter()
            .filter_map(|(id, t)| Some((id, json_display(&t?))))
            .collect();
        let (pred, keys) = any_of(backend, "result_id", 1, Keys::Int(&ids));
        let mut reasons: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, reason) in self
            .db
            .all::<(i64, String)>(
                &format!(
                    "SELECT result_id, reason FROM scorer_results WHERE {pred} AND reason IS NOT NULL \
                     ORDER BY result_id, position"
                ),
                vec![keys],
            )
            .await?
        {
            reasons.entry(id).or_default().push(reason);
        }
        let mut case_ids: Vec<String> = rows.iter().map(|r| r.case_id.clone()).collect();
        case_ids.sort();
        case_ids.dedup();
        let (pred, keys) = any_of(backend, "case_id", 2, Keys::Text(&case_ids));
        let inputs: HashMap<String, String> = self
            .db
            .all::<(String, Option<String>)>(
                &format!("SELECT case_id, inputs FROM cases WHERE bench_id = $1 AND {pred}"),
                vec![bench_id.into(), keys],
            )
            .await?
            .into_iter()
            .filter_map(|(c, t)| Some((c, json_display(&t?))))
            .collect();
        for r in rows.iter_mut() {
            let mut fields: Vec<(&str, &str)> = Vec::new();
            fields.extend(outputs.get(&r.id).map(|t| ("output", t.as_str())));
            fields.extend(r.error.as_deref().map(|t| ("error", t)));
            fields.extend(reasons.get(&r.id).into_iter().flatten().map(|t| ("reason", t.as_str())));
            fields.extend(inputs.get(&r.case_id).map(|t| ("input", t.as_str())));
            fields.extend(r.case_name.as_deref().map(|t| ("case_name", t)));
            fields.push(("case_id", r.case_id.as_str()));
            let snippet = fields.into_iter().find_map(|(f, t)| s.snippet(f, t));
            r.snippet = snippet;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_quote_everything() {
        assert_eq!(fts_string("a\"b"), "\"a\"\"b\"");
        assert_eq!(ts_lexeme("it's\\"), "'it''s\\\\'");
        let s = SearchQuery::parse("Refund \"late\" of").unwrap().unwrap();
        let (w, g) = index_queries(Backend::Sqlite, &s, 3);
        assert_eq!(w.unwrap(), "body : (\"refund\"* AND \"late\"* AND \"of\")");
        assert!(g.unwrap().starts_with("grams : (\"726566\" AND "));
        let (w, g) = index_queries(Backend::Postgres, &s, 3);
        assert_eq!(w.unwrap(), "'#run3' & 'refund':* & 'late':* & 'of'");
        assert!(g.unwrap().starts_with("'#run3' & '~726566' & "));
        let (w, g) = index_queries(Backend::Postgres, &SearchQuery::parse("--").unwrap().unwrap(), 3);
        assert_eq!((w, g), (None, None), "no words, no word query; too short for a trigram");
        let mut sql = Sql { args: Vec::new(), backend: Backend::Sqlite };
        let none = Candidates::Ids { words: Vec::new(), grams: Some(Vec::new()) };
        assert_eq!(condition(&mut sql, &s, 1, Some(&none)), "1 = 0");
        let short = Candidates::Ids { words: vec![4], grams: None };
        let c = condition(&mut sql, &s, 1, Some(&short));
        assert!(c.contains(" OR (r.case_id LIKE"), "{c}");
        let short = Candidates::Fts { words: Some("body : (\"x\")".into()), grams: None, first_id: 1, last_id: 9 };
        let c = condition(&mut sql, &s, 1, Some(&short));
        assert!(c.starts_with("(r.id IN (SELECT rowid FROM result_fts") && c.contains(" OR (r.case_id LIKE"), "{c}");
    }
}
