//! Reading what a comparison needs of one run — its result rows (only the columns a comparison
//! needs) and, on request, their dimension scores — at the speed of the backend's bulk path:
//! SQLite statements stepped directly (`sqlite_raw`), PostgreSQL binary COPY (`pg_copy`).

use std::collections::HashMap;

use crate::domain::compare::{CaseRow, DimRow};
use crate::domain::ResultStatus;
use crate::server::sql::{pg_copy, sqlite_raw};

/// What a comparison reads of one run: its result rows, its dimension names and the dimension
/// scores of the rows.
#[derive(Default)]
pub(crate) struct Loaded {
    pub rows: Vec<CaseRow>,
    pub names: Vec<String>,
    pub dims: Vec<DimRow>,
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
        let (lo, hi) = ids.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &id| (lo.min(id), hi.max(id)));
        if !ids.is_empty() && (hi - lo) as u64 <= 2 * ids.len() as u64 + 10_000 {
            // Row index + 1; 0 for ids of other runs inside the range.
            let mut rows = vec![0u32; (hi - lo + 1) as usize];
            for (row, &id) in ids.iter().enumerate() {
                rows[(id - lo) as usize] = row as u32 + 1;
            }
            RowIndex::Dense { lo, hi, rows }
        } else {
            RowIndex::Hashed(ids.iter().enumerate().map(|(row, &id)| (id, row as u32)).collect())
        }
    }

    fn get(&self, id: i64) -> Option<u32> {
        match self {
            RowIndex::Dense { lo, rows, .. } => {
                rows.get(usize::try_from(id - lo).ok()?).copied().filter(|&r| r > 0).map(|r| r - 1)
            }
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

/// A stored status; one this server does not know is an error, never a guess.
fn status(s: Option<&str>) -> Result<ResultStatus, sqlx::Error> {
    let s = s.unwrap_or_default();
    ResultStatus::parse(s).ok_or_else(|| sqlx::Error::Protocol(format!("a result has unknown status '{s}'")))
}

/// SQLite: two statements stepped at C speed in one read transaction. Rows come in case order
/// (the `(run_id, case_id, epoch)` index), so folding them needs no real sort.
pub(crate) async fn load_sqlite(pool: &sqlx::SqlitePool, run_id: i64, dimensions: bool) -> Result<Loaded, sqlx::Error> {
    sqlite_raw::with_read(pool, move |raw| {
        let mut out = Loaded::default();
        let mut ids = Vec::new();
        let mut q = raw.prepare(
            "SELECT id, case_id, case_name, epoch, status, headline_score, cost_usd FROM results \
             WHERE run_id = ?1 ORDER BY case_id, epoch",
        )?;
        q.bind_i64(1, run_id)?;
        while let Some(r) = q.next()? {
            ids.push(r.i64(0));
            out.rows.push(CaseRow {
                case_id: r.text(1).unwrap_or_default().into_owned(),
                case_name: r.text(2).map(|s| s.into_owned()),
                epoch: r.i64(3),
                status: status(r.text(4).as_deref())?,
                headline_score: r.opt_f64(5),
                cost_usd: r.f64(6),
            });
        }
        if !dimensions {
            return Ok(out);
        }
        let index = RowIndex::new(&ids);
        let mut q = match index.range() {
            Some((lo, hi)) => {
                let mut q = raw.prepare(
                    "SELECT result_id, dimension, score FROM result_dimensions WHERE result_id BETWEEN ?1 AND ?2",
                )?;
                q.bind_i64(1, lo)?;
                q.bind_i64(2, hi)?;
                q
            }
            None => {
                let mut q = raw.prepare(
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
pub(crate) async fn load_postgres(pool: &sqlx::PgPool, run_id: i64, dimensions: bool) -> Result<Loaded, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
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
            return Err(sqlx::Error::Protocol("results COPY: 7 columns expected".into()));
        }
        ids.push(pg_copy::int8(f[0])?);
        out.rows.push(CaseRow {
            case_id: pg_copy::text(f[1]).unwrap_or_default().into_owned(),
            case_name: pg_copy::text(f[2]).map(|s| s.into_owned()),
            epoch: pg_copy::int8(f[3])?,
            status: status(pg_copy::text(f[4]).as_deref())?,
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
            return Err(sqlx::Error::Protocol("dimensions COPY: 3 columns expected".into()));
        }
        if let (Some(row), Some(name)) = (index.get(pg_copy::int8(f[0])?), pg_copy::text(f[1])) {
            let d = out.dim_index(&name);
            out.dims.push((row, d, pg_copy::float8(f[2])?.unwrap_or(0.0)));
        }
    }
    Ok(out)
}
