//! The SQL layer under the store: one SQL text for both backends (with `$1` placeholders, which
//! SQLite accepts too), typed bind values, rows decoded by `FromRow` on either backend, batch
//! inserts, and the two fast readers (`sqlite_raw`, `pg_copy`) for reads of many rows.
//!
//! `sqlx::Any` cannot carry the types Assay needs, and a generic `Database` bound spreads
//! trait clutter over every query; a small enum keeps each query written once. This layer knows
//! nothing of Assay's tables: the store above it does.

mod batch;
mod listen;
pub mod migrations;
pub mod pg_copy;
pub mod sqlite_backup;
pub mod sqlite_raw;

pub use batch::{BatchInsert, Col, Ty};
pub use listen::{Heard, Listener};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// A typed bind value. Nulls carry their type: PostgreSQL refuses a text NULL for a bigint column.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    /// Arrays, for PostgreSQL `UNNEST` batch inserts only.
    I64s(Vec<Option<i64>>),
    F64s(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
    Bools(Vec<Option<bool>>),
}

/// `From` for a value and its `Option`, mapped into a variant by `$conv`.
macro_rules! val_from {
    ($variant:ident: $($t:ty => $conv:expr),* $(,)?) => {$(
        impl From<$t> for Val {
            fn from(v: $t) -> Self {
                Val::$variant(Some(($conv)(v)))
            }
        }
        impl From<Option<$t>> for Val {
            fn from(v: Option<$t>) -> Self {
                Val::$variant(v.map($conv))
            }
        }
    )*};
}

val_from!(I64: i64 => |v| v);
val_from!(F64: f64 => |v| v);
val_from!(Bool: bool => |v| v);
val_from!(Text: String => |v| v, &str => str::to_string, &String => String::clone);

/// Build a `Vec<Val>` from heterogeneous values.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::server::sql::Val::from($v)),*] };
}

/// A row type readable from both backends.
pub trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

macro_rules! bind_all {
    ($q:expr, $args:expr, sqlite) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::I64(v) => q.bind(v),
                Val::F64(v) => q.bind(v),
                Val::Text(v) => q.bind(v),
                Val::Bool(v) => q.bind(v),
                other => panic!("array bind {other:?} is PostgreSQL-only"),
            };
        }
        q
    }};
    ($q:expr, $args:expr, pg) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::I64(v) => q.bind(v),
                Val::F64(v) => q.bind(v),
                Val::Text(v) => q.bind(v),
                Val::Bool(v) => q.bind(v),
                Val::I64s(v) => q.bind(v),
                Val::F64s(v) => q.bind(v),
                Val::Texts(v) => q.bind(v),
                Val::Bools(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Which SQL dialect a query must speak where the two differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools. SQLite has one writer connection (writers queue in the pool, so
/// "database is locked" never reaches a client) and several readers (WAL lets them run
/// beside the writer).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { write: SqlitePool, read: SqlitePool },
    Postgres(PgPool),
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Normalise `sqlite:` URLs and bare paths so `sqlite://assay.db`, `sqlite:assay.db` and
/// `assay.db` all name a file relative to the working directory.
fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    let opts = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    Ok(opts
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory"))
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let opts = sqlite_options(url)?;
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(120))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite { write, read })
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
    }

    /// Begin a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// transaction that reads before it writes can never fail to upgrade its lock.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => Ok(Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    /// Begin a read-only transaction: a consistent snapshot that never takes SQLite's write lock.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { read, .. } => Ok(Tx::Sqlite(read.begin().await?)),
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    pub async fn all<T: Row>(&self, sql: &str, args: Vec<Val>) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Db::Sqlite { read, .. } => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, sqlite).fetch_all(read).await
            }
            Db::Postgres(pool) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, pg).fetch_all(pool).await
            }
        }
    }

    pub async fn opt<T: Row>(&self, sql: &str, args: Vec<Val>) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite { read, .. } => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, sqlite).fetch_optional(read).await
            }
            Db::Postgres(pool) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, pg).fetch_optional(pool).await
            }
        }
    }

    pub async fn one<T: Row>(&self, sql: &str, args: Vec<Val>) -> Result<T, sqlx::Error> {
        self.opt(sql, args).await?.ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn exec(&mut self, sql: &str, args: Vec<Val>) -> Result<u64, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => Ok(bind_all!(sqlx::query(sql), args, sqlite)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
            Tx::Postgres(tx) => Ok(bind_all!(sqlx::query(sql), args, pg)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
        }
    }

    pub async fn all<T: Row>(&mut self, sql: &str, args: Vec<Val>) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, sqlite).fetch_all(&mut **tx).await
            }
            Tx::Postgres(tx) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, pg).fetch_all(&mut **tx).await
            }
        }
    }

    pub async fn opt<T: Row>(&mut self, sql: &str, args: Vec<Val>) -> Result<Option<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, sqlite)
                    .fetch_optional(&mut **tx)
                    .await
            }
            Tx::Postgres(tx) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args, pg)
                    .fetch_optional(&mut **tx)
                    .await
            }
        }
    }

    pub async fn one<T: Row>(&mut self, sql: &str, args: Vec<Val>) -> Result<T, sqlx::Error> {
        self.opt(sql, args).await?.ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// `(?, ?, …), (?, …)` for a multi-row SQLite `VALUES` list of `rows` rows of `cols` columns.
/// Anonymous parameters on purpose: SQLite keeps parameter *names* (`$1`, `?1`) in a list it
/// scans for every lookup, which is quadratic over the tens of thousands of a batch.
pub fn values_placeholders(rows: usize, cols: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    vec![one; rows].join(",")
}

/// Keys for a "column is any of these" predicate.
pub enum Keys<'a> {
    Text(&'a [String]),
    Int(&'a [i64]),
}

/// `column` is any of `keys`, bound as one parameter `$param` whatever the number of keys:
/// a JSON array read by `json_each` on SQLite, an array on PostgreSQL.
pub fn any_of(backend: Backend, column: &str, param: usize, keys: Keys<'_>) -> (String, Val) {
    match backend {
        Backend::Sqlite => {
            let json = match keys {
                Keys::Text(k) => serde_json::to_string(k),
                Keys::Int(k) => serde_json::to_string(k),
            }
            .expect("keys serialise");
            (format!("{column} IN (SELECT value FROM json_each(${param}))"), Val::Text(Some(json)))
        }
        Backend::Postgres => {
            let v = match keys {
                Keys::Text(k) => Val::Texts(k.iter().cloned().map(Some).collect()),
                Keys::Int(k) => Val::I64s(k.iter().copied().map(Some).collect()),
            };
            (format!("{column} = ANY(${param})"), v)
        }
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

/// `n` fresh ids for `table`'s `id` column, so a batch can write its rows' children without
/// reading ids back. SQLite: the rowids above the largest (the caller's `BEGIN IMMEDIATE` holds
/// the write lock, so no other writer can take them); PostgreSQL: values of the column's identity
/// sequence.
pub async fn next_ids(tx: &mut Tx, table: &str, n: usize) -> Result<Vec<i64>, sqlx::Error> {
    match tx.backend() {
        Backend::Sqlite => {
            let (max,) = tx.one::<(i64,)>(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), vec![]).await?;
            Ok((1..=n as i64).map(|i| max + i).collect())
        }
        Backend::Postgres => Ok(tx
            .all::<(i64,)>(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"),
                vec![Val::from(n as i64)],
            )
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect()),
    }
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_key_lists() {
        assert_eq!(values_placeholders(2, 3), "(?,?,?),(?,?,?)");
        let ids = ["a".to_string(), "b\"c".to_string()];
        let (sql, v) = any_of(Backend::Sqlite, "case_id", 2, Keys::Text(&ids));
        assert_eq!(sql, "case_id IN (SELECT value FROM json_each($2))");
        assert_eq!(v, Val::Text(Some(r#"["a","b\"c"]"#.to_string())));
        let (sql, v) = any_of(Backend::Postgres, "id", 1, Keys::Int(&[3, 4]));
        assert_eq!(sql, "id = ANY($1)");
        assert_eq!(v, Val::I64s(vec![Some(3), Some(4)]));
    }
}
