//! `assay backup FILE` and `assay restore FILE` for the embedded SQLite store. A backup is
//! `VACUUM INTO`: one read transaction, so the copy is a consistent snapshot however hard the
//! server is writing, and compact. A restore checks the file, then copies it over the database
//! with SQLite's online backup API (whole or not at all) and migrates it to this binary's
//! schema. PostgreSQL has its own tools: both commands print the `pg_dump` / `pg_restore` line.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::server::sql::migrations::embedded;
use crate::server::sql::{sqlite_backup, Backend, Db};

#[derive(Debug)]
pub enum OpsError {
    /// The database is PostgreSQL: run this command instead.
    UsePostgresTool(String),
    Failed(String),
}

impl std::fmt::Display for OpsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpsError::UsePostgresTool(cmd) => write!(f, "use PostgreSQL's own tool: {cmd}"),
            OpsError::Failed(msg) => f.write_str(msg),
        }
    }
}

fn failed(what: impl std::fmt::Display) -> OpsError {
    OpsError::Failed(what.to_string())
}

/// What a backup or restore holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub runs: i64,
    pub results: i64,
    /// The last migration applied.
    pub migrations: i64,
    pub bytes: u64,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file a `sqlite:` URL or bare path names (as `Db::connect` reads it).
fn sqlite_file(url: &str) -> Result<PathBuf, OpsError> {
    let opts = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| failed(format!("bad database URL {url}: {e}")))?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    Ok(opts.get_filename().to_path_buf())
}

fn quote(path: &Path) -> String {
    let s = path.display().to_string();
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Copy the database at `url` to the new file `file`, consistently, while the server runs.
pub async fn backup(url: &str, file: &Path) -> Result<Summary, OpsError> {
    if is_postgres(url) {
        return Err(OpsError::UsePostgresTool(format!(
            "pg_dump --format=custom --file={} \"$DATABASE_URL\"",
            quote(file)
        )));
    }
    let source = sqlite_file(url)?;
    if !source.exists() {
        return Err(failed(format!("no database at {}: nothing to back up", source.display())));
    }
    if file.exists() {
        return Err(failed(format!("{} exists: a backup never overwrites a file", file.display())));
    }
    // Below the store: a backup copies the database file, whatever its tables.
    let db = Db::connect(url).await.map_err(|e| failed(format!("cannot open {url}: {e}")))?;
    let Db::Sqlite { read, .. } = &db else { unreachable!("a SQLite URL opens SQLite") };
    let target = file.to_str().ok_or_else(|| failed("the backup path is not UTF-8"))?;
    // VACUUM cannot run inside a transaction: straight on a reader connection.
    let done = sqlx::query("VACUUM INTO $1").bind(target).execute(read).await;
    db.close().await;
    done.map_err(|e| failed(format!("backup to {} failed: {e}", file.display())))?;
    // One self-contained file: no WAL beside it.
    let mut copy = open(file, false).await?;
    sqlx::query("PRAGMA journal_mode = DELETE").execute(&mut copy).await.map_err(failed)?;
    copy.close().await.ok();
    inspect(file).await
}

async fn open(file: &Path, read_only: bool) -> Result<SqliteConnection, OpsError> {
    SqliteConnectOptions::new()
        .filename(file)
        .read_only(read_only)
        .connect()
        .await
        .map_err(|e| failed(format!("cannot open {}: {e}", file.display())))
}

/// Check a backup file is a whole Assay database this binary can restore, and count it.
pub async fn inspect(file: &Path) -> Result<Summary, OpsError> {
    if !file.is_file() {
        return Err(failed(format!("no file {}", file.display())));
    }
    let mut conn = open(file, true).await?;
    let not_assay = |e: sqlx::Error| failed(format!("{} is not an Assay database: {e}", file.display()));
    let (check,): (String,) = sqlx::query_as("PRAGMA quick_check").fetch_one(&mut conn).await.map_err(not_assay)?;
    if check != "ok" {
        return Err(failed(format!("{} is damaged: {check}", file.display())));
    }
    let versions: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .map_err(not_assay)?;
    let known = embedded(Backend::Sqlite);
    if let Some((v,)) = versions.iter().find(|(v,)| !known.iter().any(|(k, _)| k == v)) {
        return Err(failed(format!(
            "{} comes from a newer Assay (migration {v}): restore it with that version",
            file.display()
        )));
    }
    let (runs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM runs").fetch_one(&mut conn).await.map_err(not_assay)?;
    let (results,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM results").fetch_one(&mut conn).await.map_err(not_assay)?;
    conn.close().await.ok();
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(Summary { runs, results, migrations: versions.last().map_or(0, |v| v.0), bytes })
}

/// Replace the database at `url` with the backup `file`, then migrate it to this binary's schema.
/// A database that holds runs is replaced only with `force`.
pub async fn restore(url: &str, file: &Path, force: bool) -> Result<Summary, OpsError> {
    if is_postgres(url) {
        return Err(OpsError::UsePostgresTool(format!(
            "pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" {}",
            quote(file)
        )));
    }
    let summary = inspect(file).await?;
    let db = Db::connect(url).await.map_err(|e| failed(format!("cannot open {url}: {e}")))?;
    let held: Option<(i64,)> = db.opt("SELECT COUNT(*) FROM runs", vec![]).await.unwrap_or(None);
    if let Some((n,)) = held.filter(|(n,)| *n > 0 && !force) {
        db.close().await;
        return Err(failed(format!("{url} holds {n} runs: pass --force to replace them with the backup")));
    }
    let Db::Sqlite { write, .. } = &db else { unreachable!("a SQLite URL opens SQLite") };
    let mut src = open(file, true).await?;
    let mut dest = write.acquire().await.map_err(failed)?;
    let copied = sqlite_backup::copy(&mut src, &mut dest).await;
    drop(dest);
    src.close().await.ok();
    copied.map_err(|e| failed(format!("restore failed, the database is unchanged: {e}")))?;
    let migrated = db.migrate().await;
    db.close().await;
    migrated.map_err(|e| failed(format!("restored, but migrating it failed: {e}")))?;
    Ok(summary)
}
