//! The storage layer: every read and write Assay makes, written once over [`Db`] for SQLite and
//! PostgreSQL. Each public write is one transaction; its `*_tx` twin lets `import` compose
//! several writes into one.

mod benches;
pub mod compare;
mod import;
pub mod read;
pub mod views;
mod results;
mod runs;
mod scripts;
mod tokens;

pub use runs::Finish;
pub use results::MAX_BATCH;

pub use tokens::{Scope, TokenInfo};

use crate::server::db::{any_of, values_placeholders, Backend, Db, Keys, Row, Tx, Val, MAX_PARAMS};

#[derive(Clone, Debug)]
pub struct Store {
    pub db: Db,
}

/// PostgreSQL element type of a column, for `UNNEST` casts.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    I64,
    F64,
    Text,
    Bool,
}

impl Ty {
    fn pg_array(self) -> &'static str {
        match self {
            Ty::I64 => "bigint[]",
            Ty::F64 => "double precision[]",
            Ty::Text => "text[]",
            Ty::Bool => "boolean[]",
        }
    }
}

/// A batch insert: `INSERT INTO table (cols) … suffix`. SQLite gets multi-row `VALUES`
/// chunked under the parameter limit; PostgreSQL gets one `UNNEST` of column arrays.
pub struct BatchInsert<'a> {
    pub table: &'a str,
    pub cols: &'a [(&'a str, Ty)],
    /// Appended after the rows: `ON CONFLICT …`, `RETURNING …`.
    pub suffix: &'a str,
}

impl BatchInsert<'_> {
    fn column_list(&self) -> String {
        self.cols.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(",")
    }

    fn statements(&self, backend: Backend, rows: Vec<Vec<Val>>) -> Vec<(String, Vec<Val>)> {
        let ncols = self.cols.len();
        let cols = self.column_list();
        match backend {
            Backend::Sqlite => {
                let per = (MAX_PARAMS / ncols).max(1);
                let mut out = Vec::new();
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES {} {}",
                        self.table,
                        cols,
                        values_placeholders(chunk.len(), ncols),
                        self.suffix
                    );
                    out.push((sql, chunk.into_iter().flatten().collect()));
                }
                out
            }
            Backend::Postgres => {
                let mut arrays: Vec<Val> = self
                    .cols
                    .iter()
                    .map(|(_, ty)| match ty {
                        Ty::I64 => Val::I64s(Vec::with_capacity(rows.len())),
                        Ty::F64 => Val::F64s(Vec::with_capacity(rows.len())),
                        Ty::Text => Val::Texts(Vec::with_capacity(rows.len())),
                        Ty::Bool => Val::Bools(Vec::with_capacity(rows.len())),
                    })
                    .collect();
                for row in rows {
                    for (slot, v) in arrays.iter_mut().zip(row) {
                        match (slot, v) {
                            (Val::I64s(a), Val::I64(x)) => a.push(x),
                            (Val::F64s(a), Val::F64(x)) => a.push(x),
                            (Val::Texts(a), Val::Text(x)) => a.push(x),
                            (Val::Bools(a), Val::Bool(x)) => a.push(x),
                            (slot, v) => panic!("{}: value {v:?} does not fit column {slot:?}", self.table),
                        }
                    }
                }
                let unnest = self
                    .cols
                    .iter()
                    .enumerate()
                    .map(|(i, (_, ty))| format!("${}::{}", i + 1, ty.pg_array()))
                    .collect::<Vec<_>>()
                    .join(",");
                let sql = format!(
                    "INSERT INTO {} ({}) SELECT * FROM UNNEST({}) {}",
                    self.table, cols, unnest, self.suffix
                );
                vec![(sql, arrays)]
            }
        }
    }

    pub async fn run(&self, tx: &mut Tx, rows: Vec<Vec<Val>>) -> Result<u64, sqlx::Error> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        for (sql, args) in self.statements(tx.backend(), rows) {
            n += tx.exec(&sql, args).await?;
        }
        Ok(n)
    }

    pub async fn returning<T: Row>(&self, tx: &mut Tx, rows: Vec<Vec<Val>>) -> Result<Vec<T>, sqlx::Error> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (sql, args) in self.statements(tx.backend(), rows) {
            out.extend(tx.all::<T>(&sql, args).await?);
        }
        Ok(out)
    }
}

/// Run `sql_template`, whose `{in}` becomes "`column` is any of `keys`", with `head` bound
/// first (as `$1`…). One statement and one parameter for the keys, however many there are.
pub async fn select_in<T: Row>(
    tx: &mut Tx,
    sql_template: &str,
    head: Vec<Val>,
    column: &str,
    keys: &[String],
) -> Result<Vec<T>, sqlx::Error> {
    let (pred, val) = any_of(tx.backend(), column, head.len() + 1, Keys::Text(keys));
    let mut args = head;
    args.push(val);
    tx.all::<T>(&sql_template.replace("{in}", &pred), args).await
}

/// Lock a row for the rest of the transaction. SQLite's `BEGIN IMMEDIATE` already holds the
/// database's write lock, so only PostgreSQL needs `FOR UPDATE`.
pub async fn lock_row(tx: &mut Tx, table: &str, id: i64) -> Result<bool, sqlx::Error> {
    let sql = match tx.backend() {
        Backend::Sqlite => format!("SELECT id FROM {table} WHERE id = $1"),
        Backend::Postgres => format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"),
    };
    Ok(tx.opt::<(i64,)>(&sql, vec![Val::from(id)]).await?.is_some())
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// JSON value to stored text.
pub fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

/// Stored text to JSON value; text that is not JSON comes back as a JSON string.
pub fn text_json(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
}

impl Store {
    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        Ok(Store { db: Db::connect(url).await? })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        self.db.migrate().await
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}
