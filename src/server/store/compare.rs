//! Run comparison: read each run's result rows (only the columns a comparison needs, dimensions
//! in one query per run) and hand them to the pure computation in `domain::compare`.

use std::collections::HashMap;

use super::Store;
use crate::args;
use crate::domain::compare::{self as cmp, CaseRow, DimRow, RunCases};
use crate::domain::ResultStatus;
use crate::model::{CaseDiff, CompareReport, Flag, NWayReport, Run};
use crate::server::db::Db;
use crate::server::error::{ApiError, ApiResult};
use crate::server::sqlite_raw;
use crate::server::word_diff::word_diff;

/// Runs one N-way comparison takes (SPEC §4).
pub const MAX_NWAY_RUNS: usize = 8;

/// A `?flag=` list (comma-separated flag names) of an N-way comparison.
pub fn parse_flags(list: &str) -> ApiResult<Vec<Flag>> {
    list.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            Flag::parse(f).ok_or_else(|| {
                let all: Vec<&str> = Flag::ALL.iter().map(|f| f.as_str()).collect();
                ApiError::invalid(
                    "flag",
                    format!("unknown flag '{f}': use {}", all.join(", ")),
                )
            })
        })
        .collect()
}

/// A `?epsilon=` must be a finite, non-negative number.
pub fn check_epsilon(epsilon: Option<f64>) -> ApiResult<Option<f64>> {
    match epsilon {
        Some(e) if !e.is_finite() || e < 0.0 => Err(ApiError::invalid(
            "epsilon",
            format!("must be a finite number ≥ 0, not {e}"),
        )),
        other => Ok(other),
    }
}

/// What a comparison reads of one run: its result rows, its dimension names and the dimension
/// scores of the rows.
#[derive(Default)]
struct Loaded {
    rows: Vec<CaseRow>,
    names: Vec<String>,
    dims: Vec<DimRow>,
}

impl Loaded {
    /// The index of a dimension name, interned without allocating for names already seen.
    fn dim_index(&mut self, name: &str) -> u32 {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as u32
            }
        }
    }
}

type DimCols = (Option<Vec<i64>>, Option<Vec<Option<i32>>>, Option<Vec<f64>>);

/// The id range to read a run's dimension rows from, when its `n` result ids lie close together
/// (a batch's results get consecutive ids, so a run's usually do): a range scan of the
/// dimensions' primary key instead of one probe per result. Rows of other runs inside the range
/// are dropped by the caller. None (use a join) when the ids are spread out.
fn id_range(n: usize, ids: impl Iterator<Item = i64>) -> Option<(i64, i64)> {
    let (lo, hi) = ids.fold((i64::MAX, i64::MIN), |(lo, hi), id| {
        (lo.min(id), hi.max(id))
    });
    (n > 0 && (hi - lo) as u64 <= 2 * n as u64 + 10_000).then_some((lo, hi))
}

fn status(s: &str) -> ResultStatus {
    ResultStatus::parse(s).unwrap_or(ResultStatus::Skipped)
}

/// SQLite: two statements stepped at C speed in one read transaction. Rows come in case order
/// (the `(run_id, case_id, epoch)` index), dimension rows by result id.
async fn load_sqlite(pool: &sqlx::SqlitePool, run_id: i64) -> Result<Loaded, sqlx::Error> {
    sqlite_raw::with_read(pool, |raw| {
        let mut out = Loaded::default();
        let mut row_of: HashMap<i64, u32> = HashMap::new();
        let q = raw.prepare(
            "SELECT id, case_id, case_name, epoch, status, headline_score, cost_usd FROM results \
             WHERE run_id = ?1 ORDER BY case_id, epoch",
        )?;
        q.bind_i64(1, run_id)?;
        q.for_each(|r| {
            row_of.insert(r.i64(0), out.rows.len() as u32);
            out.rows.push(CaseRow {
                case_id: r.text(1).unwrap_or_default().into_owned(),
                case_name: r.text(2).map(|s| s.into_owned()),
                epoch: r.i64(3),
                status: status(&r.text(4).unwrap_or_default()),
                headline_score: r.opt_f64(5),
                cost_usd: r.f64(6),
            });
        })?;
        let q = match id_range(out.rows.len(), row_of.keys().copied()) {
            Some((lo, hi)) => {
                let q = raw.prepare(
                    "SELECT result_id, dimension, score FROM result_dimensions WHERE result_id BETWEEN ?1 AND ?2",
                )?;
                q.bind_i64(1, lo)?;
                q.bind_i64(2, hi)?;
                q
            }
            None => {
                let q = raw.prepare(
                    "SELECT d.result_id, d.dimension, d.score FROM results r \
                     JOIN result_dimensions d ON d.result_id = r.id WHERE r.run_id = ?1",
                )?;
                q.bind_i64(1, run_id)?;
                q
            }
        };
        q.for_each(|r| {
            if let (Some(&row), Some(name)) = (row_of.get(&r.i64(0)), r.text(1)) {
                let d = out.dim_index(&name);
                out.dims.push((row, d, r.f64(2)));
            }
        })?;
        Ok(out)
    })
    .await
}

/// PostgreSQL: each run's columns as arrays in one row (decoded in bulk, not row by row), in
/// one repeatable-read snapshot.
async fn load_postgres(pool: &sqlx::PgPool, run_id: i64) -> Result<Loaded, sqlx::Error> {
    type Cols = (
        Option<Vec<i64>>,
        Option<Vec<String>>,
        Option<Vec<Option<String>>>,
        Option<Vec<i64>>,
        Option<Vec<String>>,
        Option<Vec<Option<f64>>>,
        Option<Vec<f64>>,
    );
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let (ids, case_ids, names, epochs, statuses, scores, costs): Cols = sqlx::query_as(
        "SELECT array_agg(id), array_agg(case_id), array_agg(case_name), array_agg(epoch), array_agg(status), \
         array_agg(headline_score), array_agg(cost_usd) FROM results WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(&mut *tx)
    .await?;
    let dim_names: Vec<String> = sqlx::query_scalar(
        "SELECT dimension FROM run_dimensions WHERE run_id = $1 ORDER BY dimension",
    )
    .bind(run_id)
    .fetch_all(&mut *tx)
    .await?;
    let result_ids = ids.as_deref().unwrap_or_default();
    let (dim_ids, dim_pos, dim_scores): DimCols = match id_range(result_ids.len(), result_ids.iter().copied()) {
        Some((lo, hi)) => {
            sqlx::query_as(
                "SELECT array_agg(result_id), array_agg(array_position($3::text[], dimension)), array_agg(score) \
                 FROM result_dimensions WHERE result_id BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi)
            .bind(&dim_names)
            .fetch_one(&mut *tx)
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT array_agg(d.result_id), array_agg(array_position($2::text[], d.dimension)), array_agg(d.score) \
                 FROM result_dimensions d JOIN results r ON r.id = d.result_id WHERE r.run_id = $1",
            )
            .bind(run_id)
            .bind(&dim_names)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;

    let ids = ids.unwrap_or_default();
    let mut row_of: HashMap<i64, u32> = HashMap::with_capacity(ids.len());
    let mut out = Loaded {
        names: dim_names,
        ..Default::default()
    };
    let mut names = names.unwrap_or_default().into_iter();
    let mut epochs = epochs.unwrap_or_default().into_iter();
    let mut statuses = statuses.unwrap_or_default().into_iter();
    let mut scores = scores.unwrap_or_default().into_iter();
    let mut costs = costs.unwrap_or_default().into_iter();
    out.rows.reserve(ids.len());
    for (id, case_id) in ids.into_iter().zip(case_ids.unwrap_or_default()) {
        row_of.insert(id, out.rows.len() as u32);
        out.rows.push(CaseRow {
            case_id,
            case_name: names.next().flatten(),
            epoch: epochs.next().unwrap_or(1),
            status: status(&statuses.next().unwrap_or_default()),
            headline_score: scores.next().flatten(),
            cost_usd: costs.next().unwrap_or(0.0),
        });
    }
    let dim_pos = dim_pos.unwrap_or_default();
    let dim_scores = dim_scores.unwrap_or_default();
    out.dims.reserve(dim_pos.len());
    for ((id, pos), score) in dim_ids
        .unwrap_or_default()
        .into_iter()
        .zip(dim_pos)
        .zip(dim_scores)
    {
        // array_position counts from 1; a name missing from run_dimensions (never expected) is skipped.
        if let (Some(&row), Some(p)) = (row_of.get(&id), pos) {
            out.dims.push((row, (p - 1) as u32, score));
        }
    }
    Ok(out)
}

impl Store {
    /// One run and its results folded per case. 404 names the run.
    pub async fn run_cases(&self, run_id: i64) -> ApiResult<(Run, RunCases)> {
        let run = self.get_run(run_id).await?;
        let loaded = match &self.db {
            Db::Sqlite { read, .. } => load_sqlite(read, run_id).await?,
            Db::Postgres(pool) => load_postgres(pool, run_id).await?,
        };
        let cases =
            RunCases::from_rows(loaded.rows, loaded.names, &loaded.dims, run.pass_threshold);
        Ok((run, cases))
    }

    /// [`Store::run_cases`] of several runs, each on its own task so they load and fold on all
    /// cores at once; in the order of `ids`.
    pub async fn run_cases_parallel(&self, ids: &[i64]) -> ApiResult<Vec<(Run, RunCases)>> {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let store = self.clone();
                tokio::spawn(async move { store.run_cases(id).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.map_err(ApiError::internal)??);
        }
        Ok(out)
    }

    /// Run b against the baseline run a (SPEC §4): per-case flags, aggregates, transitions,
    /// dimension deltas, significance and warnings.
    pub async fn compare(&self, a: i64, b: i64, epsilon: Option<f64>) -> ApiResult<CompareReport> {
        let epsilon = check_epsilon(epsilon)?;
        let mut loaded = self.run_cases_parallel(&[a, b]).await?.into_iter();
        let ((run_a, cases_a), (run_b, cases_b)) =
            (loaded.next().expect("run a"), loaded.next().expect("run b"));
        let eps = cmp::epsilon_for(run_a.score_max, epsilon);
        Ok(cmp::compare(run_a, cases_a, run_b, cases_b, eps))
    }

    /// Up to 8 runs, the first the baseline (SPEC §4 "N-way"). `flags` keeps the rows where any
    /// column has one of these flags (empty: every row).
    pub async fn compare_many(
        &self,
        ids: &[i64],
        epsilon: Option<f64>,
        flags: &[Flag],
    ) -> ApiResult<NWayReport> {
        if ids.len() < 2 || ids.len() > MAX_NWAY_RUNS {
            return Err(ApiError::invalid(
                "runs",
                format!(
                    "name 2 to {MAX_NWAY_RUNS} runs, the baseline first; got {}",
                    ids.len()
                ),
            ));
        }
        if let Some(dup) = ids
            .iter()
            .enumerate()
            .find(|(i, id)| ids[..*i].contains(id))
        {
            return Err(ApiError::invalid(
                "runs",
                format!("run {} is named twice", dup.1),
            ));
        }
        let epsilon = check_epsilon(epsilon)?;
        let runs = self.run_cases_parallel(ids).await?;
        let eps = cmp::epsilon_for(runs[0].0.score_max, epsilon);
        Ok(cmp::compare_many(runs, eps, flags))
    }

    /// One case's expected output and its outputs in runs a and b (lowest epoch), with word
    /// diffs (size-capped and time-limited). 404 when the runs are unknown or neither has the
    /// case.
    pub async fn compare_case_diff(&self, a: i64, b: i64, case_id: &str) -> ApiResult<CaseDiff> {
        let (run_a, run_b) = tokio::try_join!(self.get_run(a), self.get_run(b))?;
        let output = |run: i64| async move {
            self.db
                .opt::<(Option<String>,)>(
                    "SELECT o.workflow_output FROM results r LEFT JOIN result_outputs o ON o.result_id = r.id \
                     WHERE r.run_id = $1 AND r.case_id = $2 ORDER BY r.epoch LIMIT 1",
                    args![run, case_id],
                )
                .await
        };
        let (out_a, out_b) = tokio::try_join!(output(a), output(b))?;
        if out_a.is_none() && out_b.is_none() {
            return Err(ApiError::not_found(format!(
                "neither run {a} nor run {b} has a result for case '{case_id}'"
            )));
        }
        let mut expected = None;
        for bench in [run_a.bench_id, run_b.bench_id] {
            if let Some((Some(e),)) = self
                .db
                .opt::<(Option<String>,)>(
                    "SELECT expected_output FROM cases WHERE bench_id = $1 AND case_id = $2",
                    args![bench, case_id],
                )
                .await?
            {
                expected = Some(e);
                break;
            }
        }
        let expected = display_text(expected);
        let output_a = out_a.and_then(|r| display_text(r.0));
        let output_b = out_b.and_then(|r| display_text(r.0));
        let diff = |x: &Option<String>, y: &Option<String>| match (x, y) {
            (Some(x), Some(y)) => Some(word_diff(x, y)),
            _ => None,
        };
        Ok(CaseDiff {
            case_id: case_id.to_string(),
            expected_vs_a: diff(&expected, &output_a),
            expected_vs_b: diff(&expected, &output_b),
            a_vs_b: diff(&output_a, &output_b),
            expected,
            output_a,
            output_b,
        })
    }
}

/// Stored JSON text as people read it: a JSON string's content, any other JSON as compact JSON,
/// text that is not JSON as it is.
fn display_text(stored: Option<String>) -> Option<String> {
    let s = stored?;
    Some(match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) => return None,
        _ => s,
    })
}
