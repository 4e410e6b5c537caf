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
use crate::server::word_diff::word_diff;
use crate::server::{pg_copy, sqlite_raw};

/// Runs one N-way comparison takes (SPEC §4).
pub const MAX_NWAY_RUNS: usize = 8;

/// How a pairwise comparison is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompareOptions {
    /// `?epsilon=`: the score tolerance (default `1e-9 ×` run a's `score_max`).
    pub epsilon: Option<f64>,
    /// Read every case's dimension scores: per-row dimensions and paired dimension deltas
    /// (the `cases` basis) at three times the rows read; else dimension deltas come from the
    /// runs' aggregates (the `runs` basis).
    pub case_dimensions: bool,
}

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

/// Result id → index of its row. Dense (an array over the id range) when the run's ids lie
/// close together — a batch's results get consecutive ids, so a run's usually do — else hashed.
enum RowIndex {
    Dense { lo: i64, hi: i64, rows: Vec<u32> },
    Hashed(HashMap<i64, u32>),
}

impl RowIndex {
    fn new(ids: &[i64]) -> RowIndex {
        let (lo, hi) = ids.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &id| {
            (lo.min(id), hi.max(id))
        });
        if !ids.is_empty() && (hi - lo) as u64 <= 2 * ids.len() as u64 + 10_000 {
            // Row index + 1; 0 for ids of other runs inside the range.
            let mut rows = vec![0u32; (hi - lo + 1) as usize];
            for (row, &id) in ids.iter().enumerate() {
                rows[(id - lo) as usize] = row as u32 + 1;
            }
            RowIndex::Dense { lo, hi, rows }
        } else {
            RowIndex::Hashed(
                ids.iter()
                    .enumerate()
                    .map(|(row, &id)| (id, row as u32))
                    .collect(),
            )
        }
    }

    fn get(&self, id: i64) -> Option<u32> {
        match self {
            RowIndex::Dense { lo, rows, .. } => rows
                .get(usize::try_from(id - lo).ok()?)
                .copied()
                .filter(|&r| r > 0)
                .map(|r| r - 1),
            RowIndex::Hashed(map) => map.get(&id).copied(),
        }
    }

    /// The id range to read the run's dimension rows from (a range scan of the dimensions'
    /// primary key instead of a probe per result); None: use a join.
    fn range(&self) -> Option<(i64, i64)> {
        match self {
            RowIndex::Dense { lo, hi, .. } => Some((*lo, *hi)),
            RowIndex::Hashed(_) => None,
        }
    }
}

fn status(s: &str) -> ResultStatus {
    ResultStatus::parse(s).unwrap_or(ResultStatus::Skipped)
}

/// SQLite: two statements stepped at C speed in one read transaction. Rows come in case order
/// (the `(run_id, case_id, epoch)` index), so folding them needs no real sort.
async fn load_sqlite(
    pool: &sqlx::SqlitePool,
    run_id: i64,
    dimensions: bool,
) -> Result<Loaded, sqlx::Error> {
    sqlite_raw::with_read(pool, |raw| {
        let mut out = Loaded::default();
        let mut ids = Vec::new();
        let q = raw.prepare(
            "SELECT id, case_id, case_name, epoch, status, headline_score, cost_usd FROM results \
             WHERE run_id = ?1 ORDER BY case_id, epoch",
        )?;
        q.bind_i64(1, run_id)?;
        q.for_each(|r| {
            ids.push(r.i64(0));
            out.rows.push(CaseRow {
                case_id: r.text(1).unwrap_or_default().into_owned(),
                case_name: r.text(2).map(|s| s.into_owned()),
                epoch: r.i64(3),
                status: status(&r.text(4).unwrap_or_default()),
                headline_score: r.opt_f64(5),
                cost_usd: r.f64(6),
            });
        })?;
        if !dimensions {
            return Ok(out);
        }
        let index = RowIndex::new(&ids);
        let q = match index.range() {
            Some((lo, hi)) => {
                let q = raw.prepare("SELECT result_id, dimension, score FROM result_dimensions WHERE result_id BETWEEN ?1 AND ?2")?;
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
            if let (Some(row), Some(name)) = (index.get(r.i64(0)), r.text(1)) {
                let d = out.dim_index(&name);
                out.dims.push((row, d, r.f64(2)));
            }
        })?;
        Ok(out)
    })
    .await
}

/// PostgreSQL: each query's rows as one binary COPY stream, decoded in place, in one
/// repeatable-read snapshot. (Run ids and id bounds are integers formatted here: COPY takes no
/// bind parameters.)
async fn load_postgres(
    pool: &sqlx::PgPool,
    run_id: i64,
    dimensions: bool,
) -> Result<Loaded, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let data = pg_copy::copy_out(
        &mut tx,
        &format!(
            "SELECT id::int8, case_id::text, case_name::text, epoch::int8, status::text, headline_score::float8, \
             cost_usd::float8 FROM results WHERE run_id = {run_id}"
        ),
    )
    .await?;
    let mut out = Loaded::default();
    let mut ids = Vec::new();
    let mut tuples = pg_copy::Tuples::new(&data)?;
    let mut f = Vec::with_capacity(7);
    while tuples.next_into(&mut f)? {
        if f.len() != 7 {
            return Err(sqlx::Error::Protocol(
                "results COPY: 7 columns expected".into(),
            ));
        }
        ids.push(pg_copy::int8(f[0])?);
        out.rows.push(CaseRow {
            case_id: pg_copy::text(f[1]).unwrap_or_default().into_owned(),
            case_name: pg_copy::text(f[2]).map(|s| s.into_owned()),
            epoch: pg_copy::int8(f[3])?,
            status: status(&pg_copy::text(f[4]).unwrap_or_default()),
            headline_score: pg_copy::float8(f[5])?,
            cost_usd: pg_copy::float8(f[6])?.unwrap_or(0.0),
        });
    }
    drop(data);
    if !dimensions {
        tx.commit().await?;
        return Ok(out);
    }
    let index = RowIndex::new(&ids);
    let query = match index.range() {
        Some((lo, hi)) => format!(
            "SELECT result_id::int8, dimension::text, score::float8 FROM result_dimensions WHERE result_id BETWEEN {lo} AND {hi}"
        ),
        None => format!(
            "SELECT d.result_id::int8, d.dimension::text, d.score::float8 FROM result_dimensions d \
             JOIN results r ON r.id = d.result_id WHERE r.run_id = {run_id}"
        ),
    };
    let data = pg_copy::copy_out(&mut tx, &query).await?;
    tx.commit().await?;
    let mut tuples = pg_copy::Tuples::new(&data)?;
    let mut f = Vec::with_capacity(3);
    while tuples.next_into(&mut f)? {
        if f.len() != 3 {
            return Err(sqlx::Error::Protocol(
                "dimensions COPY: 3 columns expected".into(),
            ));
        }
        if let (Some(row), Some(name)) = (index.get(pg_copy::int8(f[0])?), pg_copy::text(f[1])) {
            let d = out.dim_index(&name);
            out.dims
                .push((row, d, pg_copy::float8(f[2])?.unwrap_or(0.0)));
        }
    }
    Ok(out)
}

impl Store {
    /// One run and its results folded per case. 404 names the run.
    /// With `dimensions`, each case's dimension scores too (three times the rows to read).
    pub async fn run_cases(&self, run_id: i64, dimensions: bool) -> ApiResult<(Run, RunCases)> {
        let run = self.get_run(run_id).await?;
        let loaded = match &self.db {
            Db::Sqlite { read, .. } => load_sqlite(read, run_id, dimensions).await?,
            Db::Postgres(pool) => load_postgres(pool, run_id, dimensions).await?,
        };
        let cases =
            RunCases::from_rows(loaded.rows, loaded.names, &loaded.dims, run.pass_threshold);
        Ok((run, cases))
    }

    /// [`Store::run_cases`] of several runs, each on its own task so they load and fold on all
    /// cores at once; in the order of `ids`.
    pub async fn run_cases_parallel(
        &self,
        ids: &[i64],
        dimensions: bool,
    ) -> ApiResult<Vec<(Run, RunCases)>> {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let store = self.clone();
                tokio::spawn(async move { store.run_cases(id, dimensions).await })
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
        self.compare_with(
            a,
            b,
            CompareOptions {
                epsilon,
                case_dimensions: false,
            },
        )
        .await
    }

    /// [`Store::compare`] with options.
    pub async fn compare_with(
        &self,
        a: i64,
        b: i64,
        opts: CompareOptions,
    ) -> ApiResult<CompareReport> {
        let epsilon = check_epsilon(opts.epsilon)?;
        let mut loaded = self
            .run_cases_parallel(&[a, b], opts.case_dimensions)
            .await?
            .into_iter();
        let ((run_a, cases_a), (run_b, cases_b)) =
            (loaded.next().expect("run a"), loaded.next().expect("run b"));
        let eps = cmp::epsilon_for(run_a.score_max, epsilon);
        let mut report = cmp::compare(run_a, cases_a, run_b, cases_b, eps);
        if !opts.case_dimensions {
            let sums = self
                .db
                .all::<(i64, String, f64, i64)>(
                    "SELECT run_id, dimension, score_sum, n FROM run_dimensions WHERE run_id = $1 OR run_id = $2 \
                     ORDER BY dimension",
                    args![a, b],
                )
                .await?;
            let of = |run: i64| -> Vec<(String, f64, i64)> {
                sums.iter()
                    .filter(|r| r.0 == run)
                    .map(|r| (r.1.clone(), r.2, r.3))
                    .collect()
            };
            let deltas = cmp::run_dimension_deltas(&of(a), &of(b));
            report.dimensions = deltas.iter().map(|d| d.dimension.clone()).collect();
            report.aggregate.dimension_deltas = deltas;
            report.aggregate.dimension_basis = "runs".to_string();
        }
        Ok(report)
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
        let runs = self.run_cases_parallel(ids, false).await?;
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
