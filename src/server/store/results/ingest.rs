//! Ingesting a batch of results into a running run, in the caller's transaction, in three steps:
//! **validate** the whole batch (every result, the selection) before writing anything, **replace**
//! the rows of re-sent `(case, epoch)` keys (taking their contribution out of the run's sums), and
//! **insert** the rows and their children with multi-row inserts, moving the run's sums by the
//! batch's delta.

use std::collections::{HashMap, HashSet};

use super::validate::{prepare, Prepared};
use super::MAX_BATCH;
use crate::args;
use crate::domain::aggregate::AggSums;
use crate::model::{IngestCounts, ScorerResult, ToolCall, TraceStep};
use crate::server::sql::{any_of, lock_row, next_ids, select_in, BatchInsert, Col, Keys, Ty};
use crate::server::store::input::ResultInput;
use crate::server::store::rows::{ContributionRow, RunRow, SumsRow, RUN_DIM_COLS};
use crate::server::store::{json_text, StoreError, StoreResult, StoreTx};
use crate::server::time::now_ms;

/// A stored row a batch replaces, with what it contributed to the run's sums.
#[derive(sqlx::FromRow)]
struct OldRow {
    id: i64,
    case_id: String,
    epoch: i64,
    #[sqlx(flatten)]
    sums: ContributionRow,
}

const RESULT_COLS: &[Col<Prepared>] = &[
    Col::new("id", Ty::I64, |p| p.id.into()),
    Col::new("run_id", Ty::I64, |p| p.run_id.into()),
    Col::new("seq", Ty::I64, |p| p.seq.into()),
    Col::new("case_id", Ty::Text, |p| (&p.case_id).into()),
    Col::new("case_name", Ty::Text, |p| p.case_name.clone().into()),
    Col::new("epoch", Ty::I64, |p| p.epoch.into()),
    Col::new("status", Ty::Text, |p| p.status.as_str().into()),
    Col::new("verdict", Ty::Text, |p| p.verdict.map(|v| v.as_str()).into()),
    Col::new("headline_score", Ty::F64, |p| p.headline_score.into()),
    Col::new("duration_ms", Ty::I64, |p| p.duration_ms.into()),
    Col::new("input_tokens", Ty::I64, |p| p.input_tokens.into()),
    Col::new("output_tokens", Ty::I64, |p| p.output_tokens.into()),
    Col::new("tool_tokens", Ty::I64, |p| p.tool_tokens.into()),
    Col::new("tokens_used", Ty::I64, |p| p.tokens_used.into()),
    Col::new("workflow_cost_usd", Ty::F64, |p| p.workflow_cost_usd.into()),
    Col::new("judge_cost_usd", Ty::F64, |p| p.judge_cost_usd.into()),
    Col::new("cost_usd", Ty::F64, |p| p.cost_usd.into()),
    Col::new("cache_hit", Ty::Bool, |p| p.cache_hit.into()),
    Col::new("input_hash", Ty::Text, |p| p.input_hash.clone().into()),
    Col::new("workflow_execution_id", Ty::Text, |p| p.workflow_execution_id.clone().into()),
    Col::new("judge_execution_id", Ty::Text, |p| p.judge_execution_id.clone().into()),
    Col::new("created_at", Ty::I64, |p| p.created_at.into()),
    Col::new("error", Ty::Text, |p| p.error.clone().into()),
    Col::new("output_preview", Ty::Text, |p| p.preview.clone().into()),
    Col::new("score", Ty::Text, |p| p.score.clone().into()),
];

const OUTPUT_COLS: &[Col<(i64, String)>] =
    &[Col::new("result_id", Ty::I64, |o| o.0.into()), Col::new("workflow_output", Ty::Text, |o| (&o.1).into())];

const SCORER_COLS: &[Col<(i64, i64, ScorerResult)>] = &[
    Col::new("result_id", Ty::I64, |s| s.0.into()),
    Col::new("position", Ty::I64, |s| s.1.into()),
    Col::new("scorer_name", Ty::Text, |s| (&s.2.scorer_name).into()),
    Col::new("score", Ty::F64, |s| s.2.score.into()),
    Col::new("passed", Ty::Bool, |s| s.2.passed.into()),
    Col::new("reason", Ty::Text, |s| s.2.reason.clone().into()),
    Col::new("dimension", Ty::Text, |s| s.2.dimension.clone().into()),
    Col::new("details", Ty::Text, |s| json_text(&s.2.details).into()),
];

const DIMENSION_COLS: &[Col<(i64, String, f64)>] = &[
    Col::new("result_id", Ty::I64, |d| d.0.into()),
    Col::new("dimension", Ty::Text, |d| (&d.1).into()),
    Col::new("score", Ty::F64, |d| d.2.into()),
];

const STEP_COLS: &[Col<(i64, i64, TraceStep)>] = &[
    Col::new("result_id", Ty::I64, |s| s.0.into()),
    Col::new("position", Ty::I64, |s| s.1.into()),
    Col::new("step_index", Ty::I64, |s| s.2.index.into()),
    Col::new("type", Ty::Text, |s| s.2.step_type.clone().into()),
    Col::new("name", Ty::Text, |s| s.2.name.clone().into()),
    Col::new("output", Ty::Text, |s| s.2.output.clone().into()),
    Col::new("tokens_used", Ty::I64, |s| s.2.tokens_used.into()),
    Col::new("duration_ms", Ty::I64, |s| s.2.duration_ms.into()),
];

const CALL_COLS: &[Col<(i64, i64, ToolCall)>] = &[
    Col::new("result_id", Ty::I64, |c| c.0.into()),
    Col::new("position", Ty::I64, |c| c.1.into()),
    Col::new("step_index", Ty::I64, |c| c.2.step_index.into()),
    Col::new("tool_name", Ty::Text, |c| (&c.2.tool_name).into()),
    Col::new("arguments", Ty::Text, |c| c.2.arguments.clone().into()),
    Col::new("result", Ty::Text, |c| c.2.result.clone().into()),
    Col::new("error", Ty::Text, |c| c.2.error.clone().into()),
    Col::new("duration_ms", Ty::I64, |c| c.2.duration_ms.into()),
];

/// A validated batch: its results, their `(case, epoch)` keys and the distinct case ids, sorted.
struct Batch {
    results: Vec<Prepared>,
    keys: HashSet<(String, i64)>,
    case_ids: Vec<String>,
}

impl StoreTx {
    /// Ingest a batch into a run inside this transaction.
    pub(crate) async fn ingest(&mut self, run_id: i64, results: Vec<ResultInput>) -> StoreResult<IngestCounts> {
        if results.len() > MAX_BATCH {
            return Err(StoreError::invalid(
                "results",
                format!("{} results in one batch; send at most {MAX_BATCH}", results.len()),
            ));
        }
        if !lock_row(self, "runs", run_id).await? {
            return Err(StoreError::not_found(format!("no run {run_id}")));
        }
        let run = self.run_row(run_id).await?;
        if run.status()?.is_finished() {
            return Err(StoreError::conflict(
                "run_finished",
                format!("run {run_id} is {}: it takes no more results", run.status),
            ));
        }
        if results.is_empty() {
            return Ok(IngestCounts::default());
        }
        let mut batch = validate(results, &run)?;
        self.check_selection(&run, &mut batch).await?;
        // Sequence numbers follow the run's counter, under the run's row lock: batches of one run
        // number their rows in commit order, which live streams and Last-Event-ID rely on.
        for (i, p) in batch.results.iter_mut().enumerate() {
            p.seq = run.event_seq + 1 + i as i64;
        }
        let sent = batch.results.len() as i64;
        let (mut delta, replaced) = self.replace(&run, &batch).await?;
        for p in &batch.results {
            delta.add(&p.contribution());
        }
        let given = batch.results.iter().any(|p| p.verdict_given);
        let inserted = self.insert(batch).await?;
        self.apply_delta(&run, &delta, given, sent).await?;
        Ok(IngestCounts { inserted: inserted - replaced, replaced })
    }

    /// The cases must be in the run's selection; their names and input hashes are copied onto
    /// the results.
    async fn check_selection(&mut self, run: &RunRow, batch: &mut Batch) -> StoreResult<()> {
        let cases: HashMap<String, (i64, Option<String>, String)> = select_in::<(i64, String, Option<String>, String)>(
            self,
            "SELECT id, case_id, name, input_hash FROM cases WHERE bench_id = $1 AND {in}",
            args![run.bench_id],
            "case_id",
            &batch.case_ids,
        )
        .await?
        .into_iter()
        .map(|(pk, id, name, hash)| (id, (pk, name, hash)))
        .collect();
        let selected: Option<HashSet<String>> = if run.has_explicit_selection() {
            let rows = select_in::<(String,)>(
                self,
                "SELECT case_id FROM run_cases WHERE run_id = $1 AND {in}",
                args![run.id],
                "case_id",
                &batch.case_ids,
            )
            .await?;
            Some(rows.into_iter().map(|r| r.0).collect())
        } else {
            None
        };
        for (i, p) in batch.results.iter_mut().enumerate() {
            let case = cases.get(&p.case_id);
            let in_selection = match (&selected, case) {
                (_, None) => false,
                (Some(sel), Some(_)) => sel.contains(&p.case_id),
                (None, Some((pk, _, _))) => *pk <= run.max_case_pk,
            };
            // The run's selection was fixed when it was triggered: a case outside it conflicts
            // with the run, whatever the value says.
            let Some((_, name, hash)) = case.filter(|_| in_selection) else {
                return Err(StoreError::conflict(
                    "not_in_selection",
                    format!("case '{}' is not in run {}'s selection", p.case_id, run.id),
                )
                .field(format!("results[{i}].case_id")));
            };
            p.case_name = name.clone();
            if p.input_hash.is_none() {
                p.input_hash = Some(hash.clone());
            }
        }
        Ok(())
    }

    /// Delete the stored rows of the batch's keys. Answers the delta that takes their
    /// contribution out of the run's sums (with the count of cases new to the run), and how many
    /// rows were replaced.
    async fn replace(&mut self, run: &RunRow, batch: &Batch) -> StoreResult<(AggSums, i64)> {
        let old: Vec<OldRow> = select_in::<OldRow>(
            self,
            "SELECT id, case_id, epoch, status, verdict, headline_score, cost_usd, duration_ms, tokens_used, cache_hit \
             FROM results WHERE run_id = $1 AND {in}",
            args![run.id],
            "case_id",
            &batch.case_ids,
        )
        .await?;
        let cases_seen_before: HashSet<&str> = old.iter().map(|o| o.case_id.as_str()).collect();
        let mut delta = AggSums {
            cases_with_results: batch.case_ids.iter().filter(|c| !cases_seen_before.contains(c.as_str())).count()
                as i64,
            ..AggSums::default()
        };
        let replaced: Vec<&OldRow> =
            old.iter().filter(|o| batch.keys.contains(&(o.case_id.clone(), o.epoch))).collect();
        if replaced.is_empty() {
            return Ok((delta, 0));
        }
        let ids: Vec<i64> = replaced.iter().map(|o| o.id).collect();
        let (pred, keys) = any_of(self.backend(), "result_id", 1, Keys::Int(&ids));
        let rows = self
            .all::<(i64, String, f64)>(
                &format!("SELECT result_id, dimension, score FROM result_dimensions WHERE {pred}"),
                vec![keys],
            )
            .await?;
        let mut old_dims: HashMap<i64, Vec<(String, f64)>> = HashMap::new();
        for (rid, d, s) in rows {
            old_dims.entry(rid).or_default().push((d, s));
        }
        for o in &replaced {
            delta.sub(&o.sums.contribution(old_dims.remove(&o.id).unwrap_or_default())?);
        }
        let (pred, keys) = any_of(self.backend(), "id", 1, Keys::Int(&ids));
        self.exec(&format!("DELETE FROM results WHERE {pred}"), vec![keys]).await?;
        Ok((delta, replaced.len() as i64))
    }

    /// The result rows under fresh ids, then their children under the same ids. Answers how
    /// many results were written.
    async fn insert(&mut self, mut batch: Batch) -> StoreResult<i64> {
        let ids = next_ids(self, "results", batch.results.len()).await?;
        for (p, id) in batch.results.iter_mut().zip(ids) {
            p.id = id;
        }
        BatchInsert { table: "results", cols: RESULT_COLS, suffix: "" }.run(self, &batch.results).await?;
        let n = batch.results.len() as i64;
        let mut outputs = Vec::new();
        let mut scorers = Vec::new();
        let mut dims = Vec::new();
        let mut steps = Vec::new();
        let mut calls = Vec::new();
        for p in batch.results {
            let rid = p.id;
            if let Some(o) = p.output {
                outputs.push((rid, o));
            }
            scorers.extend(p.scorers.into_iter().enumerate().map(|(pos, s)| (rid, pos as i64, s)));
            dims.extend(p.dimensions.into_iter().map(|(d, s)| (rid, d, s)));
            steps.extend(p.steps.into_iter().enumerate().map(|(pos, s)| (rid, pos as i64, s)));
            calls.extend(p.tool_calls.into_iter().enumerate().map(|(pos, c)| (rid, pos as i64, c)));
        }
        BatchInsert { table: "result_outputs", cols: OUTPUT_COLS, suffix: "" }.run(self, &outputs).await?;
        BatchInsert { table: "scorer_results", cols: SCORER_COLS, suffix: "" }.run(self, &scorers).await?;
        BatchInsert { table: "result_dimensions", cols: DIMENSION_COLS, suffix: "" }.run(self, &dims).await?;
        BatchInsert { table: "trace_steps", cols: STEP_COLS, suffix: "" }.run(self, &steps).await?;
        BatchInsert { table: "tool_calls", cols: CALL_COLS, suffix: "" }.run(self, &calls).await?;
        Ok(n)
    }

    /// Move a run's stored sums by `d`, its event counter past the batch's `sent` rows, a
    /// pending run to running, and note verdicts the source gave.
    async fn apply_delta(&mut self, run: &RunRow, d: &AggSums, verdicts_given: bool, sent: i64) -> StoreResult<()> {
        let cols = SumsRow::COLUMNS;
        let set: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = {c} + ${}", i + 1)).collect();
        let mut values = SumsRow::from_sums(d).values();
        values.push(now_ms().into());
        values.push(sent.into());
        values.push(verdicts_given.into());
        values.push(run.id.into());
        self.exec(
            &format!(
                "UPDATE runs SET {}, last_result_at = ${}, event_seq = event_seq + ${}, \
                 status = CASE WHEN status = 'pending' THEN 'running' ELSE status END, \
                 verdicts_from_source = (verdicts_from_source OR ${}) WHERE id = ${}",
                set.join(", "),
                cols.len() + 1,
                cols.len() + 2,
                cols.len() + 3,
                cols.len() + 4
            ),
            values,
        )
        .await?;
        let rows: Vec<(i64, String, f64, i64)> =
            d.dimensions.iter().map(|(dim, (s, n))| (run.id, dim.clone(), *s, *n)).collect();
        BatchInsert {
            table: "run_dimensions",
            cols: RUN_DIM_COLS,
            suffix: "ON CONFLICT (run_id, dimension) DO UPDATE SET score_sum = run_dimensions.score_sum + excluded.score_sum, \
                     n = run_dimensions.n + excluded.n",
        }
        .run(self, &rows)
        .await?;
        Ok(())
    }
}

/// Check every result of the batch and each `(case, epoch)` once.
fn validate(results: Vec<ResultInput>, run: &RunRow) -> StoreResult<Batch> {
    let now = now_ms();
    let mut prepared = Vec::with_capacity(results.len());
    let mut keys = HashSet::with_capacity(results.len());
    for (i, r) in results.into_iter().enumerate() {
        let p = prepare(i, r, run, now)?;
        if !keys.insert((p.case_id.clone(), p.epoch)) {
            return Err(StoreError::invalid(
                format!("results[{i}]"),
                format!("case '{}' epoch {} appears twice in this batch", p.case_id, p.epoch),
            ));
        }
        prepared.push(p);
    }
    let mut case_ids: Vec<String> = prepared.iter().map(|p| p.case_id.clone()).collect();
    case_ids.sort();
    case_ids.dedup();
    Ok(Batch { results: prepared, keys, case_ids })
}
