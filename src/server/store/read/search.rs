//! `q` on a run's results: the condition a results page adds, and the snippets it shows.
//!
//! A result matches when the whole `q` is a substring of its case id or name, or when each word
//! of `q` is in its text (case id, name, output, case inputs, error, scorer reasons). A finished
//! run is read through its index (`store/search_index.rs`): a word matches words it begins;
//! case ids and names are found by their n-grams and rechecked with LIKE. A running run (or one
//! not indexed yet) is scanned with LIKE: a word matches anywhere in the text.

use std::collections::HashMap;

use super::paging::{like_pattern, Sql};
use crate::args;
use crate::domain::search::{json_display, SearchQuery};
use crate::model::ResultSummary;
use crate::server::sql::{any_of, Backend, Keys};
use crate::server::store::search_index::run_lexeme;
use crate::server::store::{Store, StoreResult};

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

/// FTS5 strings are quoted, quotes doubled: nothing in them is query syntax.
fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A tsquery literal lexeme, quoted, quotes doubled and backslashes escaped.
fn ts_lexeme(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// The condition on `r` (a results row of run `run_id`, bench `bench_id`) for search `s`.
pub(super) fn condition(sql: &mut Sql, s: &SearchQuery, run_id: i64, bench_id: i64, mode: &Mode) -> String {
    let like = sql.like();
    let p = sql.arg(like_pattern(&s.text));
    match mode {
        Mode::Indexed { first_id, last_id } => {
            let case_like = format!("(c.case_id {like} {p} ESCAPE '\\' OR c.case_name {like} {p} ESCAPE '\\')");
            let mut branches = Vec::new();
            match sql.backend {
                Backend::Sqlite => {
                    let (lo, hi) = (sql.arg(*first_id), sql.arg(*last_id));
                    if !s.words.is_empty() {
                        let terms: Vec<String> = s.words.iter().map(|w| format!("{}*", fts_string(w))).collect();
                        let w = sql.arg(format!("body : ({})", terms.join(" AND ")));
                        branches.push(format!(
                            "SELECT rowid FROM result_fts WHERE result_fts MATCH {w} AND rowid BETWEEN {lo} AND {hi}"
                        ));
                    }
                    let grams: Vec<String> = s.grams.iter().map(|g| fts_string(g)).collect();
                    let g = sql.arg(format!("grams : ({})", grams.join(" AND ")));
                    branches.push(format!(
                        "SELECT c.id FROM results c WHERE c.id IN (SELECT rowid FROM result_fts \
                         WHERE result_fts MATCH {g} AND rowid BETWEEN {lo} AND {hi}) AND {case_like}"
                    ));
                }
                Backend::Postgres => {
                    let run = ts_lexeme(&run_lexeme(run_id));
                    if !s.words.is_empty() {
                        let terms: Vec<String> = s.words.iter().map(|w| format!("{}:*", ts_lexeme(w))).collect();
                        let w = sql.arg(format!("{run} & {}", terms.join(" & ")));
                        branches.push(format!("SELECT result_id FROM result_search WHERE doc @@ {w}::tsquery"));
                    }
                    let grams: Vec<String> = s.grams.iter().map(|g| ts_lexeme(&format!("~{g}"))).collect();
                    let g = sql.arg(format!("{run} & {}", grams.join(" & ")));
                    branches.push(format!(
                        "SELECT c.id FROM results c JOIN result_search s ON s.result_id = c.id \
                         WHERE s.doc @@ {g}::tsquery AND {case_like}"
                    ));
                }
            }
            format!("r.id IN ({})", branches.join(" UNION ALL "))
        }
        Mode::Scan => {
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
        let s = SearchQuery::parse("Refund \"late\"").unwrap().unwrap();
        let mut sql = Sql { args: Vec::new(), backend: Backend::Sqlite };
        let c = condition(&mut sql, &s, 3, 1, &Mode::Indexed { first_id: 10, last_id: 20 });
        assert!(c.starts_with("r.id IN (SELECT rowid FROM result_fts"), "{c}");
        assert_eq!(sql.args[3], "body : (\"refund\"* AND \"late\"*)".into());
        let mut sql = Sql { args: Vec::new(), backend: Backend::Postgres };
        condition(&mut sql, &s, 3, 1, &Mode::Indexed { first_id: 10, last_id: 20 });
        assert_eq!(sql.args[1], "'#run3' & 'refund':* & 'late':*".into());
    }
}
