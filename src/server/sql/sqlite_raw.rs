//! Reading many rows off SQLite at C speed. sqlx hands each SQLite row from its worker thread to
//! the async side as an owned `SqliteRow`, a few microseconds a row: fine for pages, too slow for
//! reading two 50,000-result runs (plus their dimension rows) within a comparison's 150 ms.
//! Here a pooled connection's handle is locked (`LockedSqliteHandle`: sqlx's worker makes no call
//! on it meanwhile) and statements are stepped directly, columns borrowed, not copied.
//!
//! This is the one module with `unsafe` code. Its invariants, each upheld by the types:
//! - A [`Raw`] exists only inside [`with_read`], on a blocking thread, while the handle is locked;
//!   it is neither `Send` nor `Sync` (raw pointer), so it cannot leave that thread.
//! - A [`Stmt`] borrows its `Raw` (`Stmt<'r>`), so it is finalised before the handle is unlocked
//!   and cannot be returned out of the closure (whose result must be `'static`).
//! - Stepping takes `&mut Stmt`, and a [`RowRef`] borrows the statement mutably: no step, reset
//!   or finalise can happen while a row — or text borrowed from it — is alive.
//! - The read transaction is ended by a guard's `Drop`, so a panic or an early `?` in the closure
//!   never returns a pooled connection with an open transaction sqlx knows nothing of.
//! - The stepping runs on `spawn_blocking` (reads) or under `block_in_place` (writes, which
//!   borrow the caller's transaction), never plainly on an async worker thread.
//! - A text bound with `SQLITE_STATIC` (`Stmt::bind`) is borrowed from a value `insert_rows` keeps
//!   alive until the statement has been stepped, reset and its bindings cleared.

use std::borrow::Cow;
use std::ffi::{c_char, c_int, CStr};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::{Col, Val};

/// An error of a raw statement, with SQLite's message.
fn error(db: *mut ffi::sqlite3, what: &str) -> sqlx::Error {
    // SAFETY: `db` is a live connection handle (see `Raw`); sqlite3_errmsg returns a
    // NUL-terminated string owned by SQLite, copied here before any other call on the handle.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    sqlx::Error::Protocol(format!("sqlite {what}: {msg}"))
}

/// A locked connection handle, usable for raw statements for the lifetime `'h` of the lock.
pub struct Raw<'h> {
    db: *mut ffi::sqlite3,
    _lock: PhantomData<&'h mut ()>,
}

/// A prepared statement, finalised on drop; it cannot outlive the [`Raw`] it was prepared on.
pub struct Stmt<'r> {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
    _raw: PhantomData<&'r Raw<'r>>,
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on `db`, which outlives it (`'r`), and is
        // finalised exactly once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The current row of a stepping statement. It borrows the statement mutably, so the statement
/// cannot step again while the row (or text read from it) is alive.
pub struct RowRef<'s> {
    stmt: *mut ffi::sqlite3_stmt,
    _stmt: PhantomData<&'s mut ()>,
}

impl RowRef<'_> {
    pub fn is_null(&self, col: c_int) -> bool {
        // SAFETY: the statement is on a row: a RowRef exists only between a SQLITE_ROW step and
        // the next step, which needs the `&mut Stmt` this row borrows.
        unsafe { ffi::sqlite3_column_type(self.stmt, col) == ffi::SQLITE_NULL }
    }

    pub fn i64(&self, col: c_int) -> i64 {
        // SAFETY: as in `is_null`; out-of-range columns read as 0.
        unsafe { ffi::sqlite3_column_int64(self.stmt, col) }
    }

    pub fn f64(&self, col: c_int) -> f64 {
        // SAFETY: as in `is_null`.
        unsafe { ffi::sqlite3_column_double(self.stmt, col) }
    }

    pub fn opt_f64(&self, col: c_int) -> Option<f64> {
        (!self.is_null(col)).then(|| self.f64(col))
    }

    /// Text of a column, borrowed from SQLite (None for NULL). Invalid UTF-8 is replaced.
    pub fn text(&self, col: c_int) -> Option<Cow<'_, str>> {
        if self.is_null(col) {
            return None;
        }
        // SAFETY: sqlite3_column_text's pointer stays valid until the next step, reset or
        // finalise of this statement, none of which can happen while `self` (and so the
        // returned borrow) lives; the length comes from sqlite3_column_bytes called after it,
        // as SQLite's documentation prescribes.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, col);
            if p.is_null() {
                return Some(Cow::Borrowed(""));
            }
            let n = ffi::sqlite3_column_bytes(self.stmt, col) as usize;
            Some(String::from_utf8_lossy(std::slice::from_raw_parts(p, n)))
        }
    }
}

impl Stmt<'_> {
    /// Bind `?1`, `?2`, … (integers only: what the callers need).
    pub fn bind_i64(&mut self, index: c_int, v: i64) -> Result<(), sqlx::Error> {
        // SAFETY: a live statement (finalised only on drop); SQLite checks the index.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt.as_ptr(), index, v) };
        if rc != ffi::SQLITE_OK {
            return Err(error(self.db, "bind"));
        }
        Ok(())
    }

    /// Bind `v` to parameter `index` (from 1). Text is bound without a copy: `v` must stay alive,
    /// unchanged, until the statement has been stepped and reset.
    fn bind(&mut self, index: c_int, v: &Val) -> Result<(), sqlx::Error> {
        let stmt = self.stmt.as_ptr();
        // SAFETY: a live statement; SQLite checks the index. A text pointer and length come from
        // a live `String` that the caller keeps until after the step and reset (see above), so
        // SQLITE_STATIC (no copy, no destructor) is sound.
        let rc = unsafe {
            match v {
                Val::I64(Some(x)) => ffi::sqlite3_bind_int64(stmt, index, *x),
                Val::F64(Some(x)) => ffi::sqlite3_bind_double(stmt, index, *x),
                Val::Bool(Some(x)) => ffi::sqlite3_bind_int64(stmt, index, *x as i64),
                Val::Text(Some(t)) => ffi::sqlite3_bind_text(
                    stmt,
                    index,
                    t.as_ptr() as *const c_char,
                    t.len() as c_int,
                    ffi::SQLITE_STATIC(),
                ),
                Val::I64(None) | Val::F64(None) | Val::Bool(None) | Val::Text(None) => {
                    ffi::sqlite3_bind_null(stmt, index)
                }
                other => return Err(sqlx::Error::Protocol(format!("array bind {other:?} is PostgreSQL-only"))),
            }
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(self.db, "bind"));
        }
        Ok(())
    }

    /// Run the statement to its end once (an INSERT), then reset it and clear its bindings, so
    /// no borrowed text stays bound once the caller drops the values.
    fn execute_once(&mut self) -> Result<(), sqlx::Error> {
        // SAFETY: a live statement on a connection this thread holds locked.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        // SAFETY: as above; resetting ends any row in progress, clearing binds NULL everywhere.
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
        }
        match rc {
            ffi::SQLITE_DONE | ffi::SQLITE_ROW => Ok(()),
            _ => Err(error(self.db, "step")),
        }
    }

    /// Step to the next row; None after the last.
    pub fn next(&mut self) -> Result<Option<RowRef<'_>>, sqlx::Error> {
        // SAFETY: a live statement on a connection this thread holds locked (`Raw`).
        match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
            ffi::SQLITE_ROW => Ok(Some(RowRef { stmt: self.stmt.as_ptr(), _stmt: PhantomData })),
            ffi::SQLITE_DONE => Ok(None),
            _ => Err(error(self.db, "step")),
        }
    }

    /// Step through every row.
    pub fn for_each(&mut self, mut f: impl FnMut(&RowRef<'_>)) -> Result<(), sqlx::Error> {
        while let Some(row) = self.next()? {
            f(&row);
        }
        Ok(())
    }
}

impl<'h> Raw<'h> {
    /// The raw handle of a locked connection, for as long as the lock is borrowed.
    fn new(handle: &'h mut sqlx::sqlite::LockedSqliteHandle<'_>) -> Raw<'h> {
        Raw { db: handle.as_raw_handle().as_ptr(), _lock: PhantomData }
    }

    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>, sqlx::Error> {
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        // SAFETY: `db` is the locked handle; the SQL is passed with its length (no NUL needed).
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.db, sql.as_ptr() as *const c_char, sql.len() as c_int, &mut stmt, ptr::null_mut())
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Stmt { db: self.db, stmt, _raw: PhantomData }),
            Some(stmt) => {
                let e = error(self.db, "prepare");
                // SAFETY: a statement handed out alongside an error is finalised once, here.
                unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
                Err(e)
            }
            None => Err(error(self.db, "prepare")),
        }
    }

    fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.prepare(sql)?.for_each(|_| {})
    }

    /// Whether a transaction is open on the connection.
    fn in_transaction(&self) -> bool {
        // SAFETY: `db` is the locked handle.
        unsafe { ffi::sqlite3_get_autocommit(self.db) == 0 }
    }
}

/// Insert `rows` with one prepared single-row statement (`sql`, whose `?`s are `cols` in order),
/// stepped once per row on the connection of the caller's open write transaction. Raw SQLite
/// does this several times faster than sqlx binding a multi-row statement. Answers rows written.
pub async fn insert_rows<T>(conn: &mut SqliteConnection, sql: &str, cols: &[Col<T>], rows: &[T]) -> Result<u64, sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let mut work = move || {
        let raw = Raw::new(&mut handle);
        let mut stmt = raw.prepare(sql)?;
        let mut values: Vec<Val> = Vec::with_capacity(cols.len());
        for row in rows {
            values.clear();
            values.extend(cols.iter().map(|c| (c.get)(row)));
            for (i, v) in values.iter().enumerate() {
                stmt.bind(i as c_int + 1, v)?;
            }
            // `values` lives until after this step and reset (the SQLITE_STATIC invariant).
            stmt.execute_once()?;
        }
        Ok(rows.len() as u64)
    };
    // The writes borrow the caller's transaction, so they cannot move to a blocking thread:
    // tell a multi-threaded runtime this worker blocks for a while instead.
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::CurrentThread => work(),
        _ => tokio::task::block_in_place(work),
    }
}

/// Ends the read transaction when dropped — after the closure returns, fails or panics.
struct EndRead<'a, 'h>(&'a Raw<'h>);

impl Drop for EndRead<'_, '_> {
    fn drop(&mut self) {
        if self.0.in_transaction() {
            // A read transaction has nothing to keep; ROLLBACK cannot fail on one.
            let _ = self.0.exec("ROLLBACK");
        }
    }
}

/// Run `f` on a reader connection of `pool`, on a blocking thread, inside one read transaction
/// (a consistent snapshot across its statements), with the handle locked. A panic in `f` is
/// resumed on the caller's task after the transaction is ended and the connection released.
pub async fn with_read<T, F>(pool: &SqlitePool, f: F) -> Result<T, sqlx::Error>
where
    T: Send + 'static,
    F: FnOnce(&Raw<'_>) -> Result<T, sqlx::Error> + Send + 'static,
{
    let mut conn = pool.acquire().await?;
    let rt = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        // `block_on` from a blocking thread: locking is a short round trip to sqlx's worker.
        let mut handle = rt.block_on(conn.lock_handle())?;
        let raw = Raw::new(&mut handle);
        raw.exec("BEGIN")?;
        let _end = EndRead(&raw);
        f(&raw)
    });
    match task.await {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(sqlx::Error::Protocol(format!("sqlite reader task: {e}"))),
    }
}
