//! The full-text index of finished runs. A finished run is immutable, so its text is indexed
//! once, in the transaction that finishes it (`tx.index_run_text`), and never again; ingest
//! writes nothing here, so it runs at the speed it had. Runs that finished before the index
//! existed are indexed by [`Store::index_unindexed_runs`], which `assay serve` starts.
//!
//! What a result is indexed under comes from `domain::search`: the distinct words of its case id
//! and name, output, case inputs (as they were when the run finished), error and scorer reasons,
//! and the trigrams of its case id and name. SQLite keeps them in the FTS5 table `result_fts`
//! (rowid = result id); PostgreSQL as a tsvector of lexemes in `result_search`, with the run's
//! own lexeme so the GIN index reads one run's postings only.

use std::collections::{BTreeSet, HashMap};

use super::{run_lexeme, Store, StoreResult, StoreTx};
use crate::args;
use crate::domain::search::{case_grams, json_words, words};
use crate::server::sql::{any_of, lock_row, select_in, Backend, BatchInsert, Col, Keys, Ty, Val};
use crate::server::time::now_ms;

/// Results read and indexed at a time (their outputs are read whole).
const CHUNK: i64 = 2_000;
/// A PostgreSQL tsvector holds at most 1 MB: the words of one result stop short of it.
const PG_DOC_BYTES: usize = 900_000;

/// One result's index entry.
struct Doc {
    id: i64,
    words: BTreeSet<String>,
    grams: BTreeSet<String>,
}

const FTS_COLS: &[Col<Doc>] = &[
    Col::new("rowid", Ty::I64, |d| d.id.into()),
    Col::new("body", Ty::Text, |d| join(d.words.iter().map(String::as_str)).into()),
    Col::new("grams", Ty::Text, |d| join(d.grams.iter().map(String::as_str)).into()),
];

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in it {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// A PostgreSQL document: its lexemes separated by spaces (no lexeme holds one).
fn pg_lexemes(d: &Doc, run: &str) -> String {
    let mut out = String::from(run);
    for g in &d.grams {
        out.push_str(" ~");
        out.push_str(g);
    }
    let mut entries = 1 + d.grams.len();
    for w in &d.words {
        // Each lexeme costs its bytes and an entry of about 8 bytes in the tsvector.
        entries += 1;
        if out.len() + w.len() + 8 * entries > PG_DOC_BYTES {
            break;
        }
        out.push(' ');
        out.push_str(w);
    }
    out
}

#[derive(sqlx::FromRow)]
struct TextRow {
    id: i64,
    case_id: String,
    case_name: Option<String>,
    epoch: i64,
    error: Option<String>,
}

impl StoreTx {
    /// Index every result of a finished run, in this transaction, a chunk at a time.
    pub(crate) async fn index_run_text(&mut self, run_id: i64) -> StoreResult<()> {
        let (bench_id,): (i64,) = self.one("SELECT bench_id FROM runs WHERE id = $1", args![run_id]).await?;
        let run = run_lexeme(run_id);
        let (mut first, mut last) = (i64::MAX, 0i64);
        let mut after: Option<(String, i64)> = None;
        loop {
            let rows: Vec<TextRow> = match &after {
                None => {
                    self.all(
                        "SELECT id, case_id, case_name, epoch, error FROM results WHERE run_id = $1 \
                         ORDER BY case_id, epoch LIMIT $2",
                        args![run_id, CHUNK],
                    )
                    .await?
                }
                Some((c, e)) => {
                    self.all(
                        "SELECT id, case_id, case_name, epoch, error FROM results WHERE run_id = $1 \
                         AND (case_id, epoch) > ($2, $3) ORDER BY case_id, epoch LIMIT $4",
                        args![run_id, c.as_str(), *e, CHUNK],
                    )
                    .await?
                }
            };
            let Some(tail) = rows.last() else { break };
            after = Some((tail.case_id.clone(), tail.epoch));
            let full = rows.len() as i64 == CHUNK;
            let docs = self.docs(bench_id, rows).await?;
            for d in &docs {
                first = first.min(d.id);
                last = last.max(d.id);
            }
            match self.backend() {
                Backend::Sqlite => {
                    BatchInsert { table: "result_fts", cols: FTS_COLS, suffix: "" }.run(self, &docs).await?;
                }
                Backend::Postgres => {
                    let ids = docs.iter().map(|d| Some(d.id)).collect();
                    let lexemes = docs.iter().map(|d| Some(pg_lexemes(d, &run))).collect();
                    self.exec(
                        "INSERT INTO result_search (result_id, doc) \
                         SELECT id, array_to_tsvector(string_to_array(lexemes, ' ')) \
                         FROM UNNEST($1::bigint[], $2::text[]) AS u(id, lexemes)",
                        vec![Val::I64s(ids), Val::Texts(lexemes)],
                    )
                    .await?;
                }
            }
            if !full {
                break;
            }
        }
        if first > last {
            (first, last) = (0, -1);
        }
        self.exec(
            "INSERT INTO run_search (run_id, first_id, last_id, indexed_at) VALUES ($1, $2, $3, $4)",
            args![run_id, first, last, now_ms()],
        )
        .await?;
        Ok(())
    }

    /// The index entries of a chunk of results: their rows, outputs, scorer reasons and inputs.
    async fn docs(&mut self, bench_id: i64, rows: Vec<TextRow>) -> StoreResult<Vec<Doc>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut docs: Vec<Doc> = Vec::with_capacity(rows.len());
        let mut at: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        let mut by_case: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rows.into_iter().enumerate() {
            let mut d = Doc { id: r.id, words: BTreeSet::new(), grams: BTreeSet::new() };
            d.words.extend(words(&r.case_id));
            d.words.extend(r.case_name.iter().flat_map(|n| words(n)));
            d.words.extend(r.error.iter().flat_map(|e| words(e)));
            case_grams(&r.case_id, r.case_name.as_deref(), &mut d.grams);
            at.insert(r.id, i);
            by_case.entry(r.case_id).or_default().push(i);
            docs.push(d);
        }
        let backend = self.backend();
        let (pred, keys) = any_of(backend, "result_id", 1, Keys::Int(&ids));
        let outputs: Vec<(i64, Option<String>)> = self
            .all(&format!("SELECT result_id, workflow_output FROM result_outputs WHERE {pred}"), vec![keys])
            .await?;
        for (id, text) in outputs {
            if let (Some(&i), Some(t)) = (at.get(&id), text) {
                json_words(&t, &mut docs[i].words);
            }
        }
        let (pred, keys) = any_of(backend, "result_id", 1, Keys::Int(&ids));
        let reasons: Vec<(i64, String)> = self
            .all(
                &format!("SELECT result_id, reason FROM scorer_results WHERE {pred} AND reason IS NOT NULL"),
                vec![keys],
            )
            .await?;
        for (id, reason) in reasons {
            if let Some(&i) = at.get(&id) {
                docs[i].words.extend(words(&reason));
            }
        }
        let case_ids: Vec<String> = by_case.keys().cloned().collect();
        let inputs: Vec<(String, Option<String>)> = select_in(
            self,
            "SELECT case_id, inputs FROM cases WHERE bench_id = $1 AND {in}",
            args![bench_id],
            "case_id",
            &case_ids,
        )
        .await?;
        for (case, text) in inputs {
            let (Some(t), Some(idx)) = (text, by_case.get(&case)) else { continue };
            let mut w = BTreeSet::new();
            json_words(&t, &mut w);
            for &i in idx {
                docs[i].words.extend(w.iter().cloned());
            }
        }
        Ok(docs)
    }
}

impl Store {
    /// Index every finished run that has no index yet (those that finished before the index
    /// existed), one run per transaction, oldest first; answers how many. Safe beside other
    /// servers doing the same: each run is locked and checked again before it is indexed.
    pub async fn index_unindexed_runs(&self) -> StoreResult<usize> {
        let mut done = 0;
        loop {
            let mut tx = self.begin().await?;
            let next: Option<(i64,)> = tx
                .opt(
                    "SELECT id FROM runs WHERE status IN ('completed', 'failed', 'canceled') \
                     AND NOT EXISTS (SELECT 1 FROM run_search s WHERE s.run_id = runs.id) ORDER BY id LIMIT 1",
                    vec![],
                )
                .await?;
            let Some((id,)) = next else { return Ok(done) };
            if lock_row(&mut tx, "runs", id).await?
                && tx.opt::<(i64,)>("SELECT run_id FROM run_search WHERE run_id = $1", args![id]).await?.is_none()
            {
                tx.index_run_text(id).await?;
                done += 1;
            }
            tx.commit().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_documents_hold_the_run_grams_and_words_within_a_tsvector() {
        let d = Doc {
            id: 1,
            words: ["refund", "late"].iter().map(|s| s.to_string()).collect(),
            grams: ["61"].iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(pg_lexemes(&d, &run_lexeme(7)), "#run7 ~61 late refund");
        let big = Doc { id: 1, words: (0..200_000).map(|i| format!("w{i}")).collect(), grams: BTreeSet::new() };
        let text = pg_lexemes(&big, "#run1");
        assert!(text.len() + 8 * text.split(' ').count() <= PG_DOC_BYTES + 16, "{}", text.len());
        assert!(text.starts_with("#run1 w0"));
    }
}
