//! Reading many rows off SQLite at C speed. sqlx hands each SQLite row from its worker thread to
//! the async side as an owned `SqliteRow`, a few microseconds a row: fine for pages, too slow for
//! reading two 50,000-result runs (plus their dimension rows) within a comparison's 150 ms.
//! Here a pooled connection's handle is locked (`LockedSqliteHandle`: sqlx's worker makes no
//! call on it meanwhile) and statements are stepped directly, columns borrowed, not copied.
//!
//! The unsafe code is confined to this module: every pointer comes from SQLite, statements are
//! finalised on drop, and borrowed text never outlives the row it was read from.

use std::ffi::{c_char, c_int, CStr};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqlitePool;

/// An error of a raw statement, with SQLite's message.
fn error(db: *mut ffi::sqlite3, what: &str) -> sqlx::Error {
    // SAFETY: `db` is a live connection handle; sqlite3_errmsg returns a NUL-terminated string
    // owned by SQLite, copied here before any other call on the handle.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    sqlx::Error::Protocol(format!("sqlite {what}: {msg}"))
}

/// A prepared statement on a locked connection.
pub struct Stmt {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on `db` and is finalised exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// One row of a stepping statement; its borrowed text is valid until the next step.
pub struct RowRef<'s> {
    stmt: &'s Stmt,
}

impl RowRef<'_> {
    fn raw(&self) -> *mut ffi::sqlite3_stmt {
        self.stmt.stmt.as_ptr()
    }

    pub fn is_null(&self, col: c_int) -> bool {
        // SAFETY: the statement is on a row (RowRef exists only between a SQLITE_ROW step and the next).
        unsafe { ffi::sqlite3_column_type(self.raw(), col) == ffi::SQLITE_NULL }
    }

    pub fn i64(&self, col: c_int) -> i64 {
        // SAFETY: as above; out-of-range columns read as 0.
        unsafe { ffi::sqlite3_column_int64(self.raw(), col) }
    }

    pub fn f64(&self, col: c_int) -> f64 {
        // SAFETY: as above.
        unsafe { ffi::sqlite3_column_double(self.raw(), col) }
    }

    pub fn opt_f64(&self, col: c_int) -> Option<f64> {
        (!self.is_null(col)).then(|| self.f64(col))
    }

    /// Text of a column, borrowed from SQLite (None for NULL). Invalid UTF-8 is replaced.
    pub fn text(&self, col: c_int) -> Option<std::borrow::Cow<'_, str>> {
        if self.is_null(col) {
            return None;
        }
        // SAFETY: sqlite3_column_text returns a pointer valid until the next step/reset/finalize
        // of this statement, all of which need `&Stmt` that this row borrows; the length comes
        // from sqlite3_column_bytes called after it, as SQLite's documentation prescribes.
        unsafe {
            let p = ffi::sqlite3_column_text(self.raw(), col);
            if p.is_null() {
                return Some(std::borrow::Cow::Borrowed(""));
            }
            let n = ffi::sqlite3_column_bytes(self.raw(), col) as usize;
            Some(String::from_utf8_lossy(std::slice::from_raw_parts(p, n)))
        }
    }
}

impl Stmt {
    /// Bind `$1`, `$2`, … (integers only: what the callers need).
    pub fn bind_i64(&self, index: c_int, v: i64) -> Result<(), sqlx::Error> {
        // SAFETY: a live statement; SQLite checks the index.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt.as_ptr(), index, v) };
        if rc != ffi::SQLITE_OK {
            return Err(error(self.db, "bind"));
        }
        Ok(())
    }

    /// Step through every row.
    pub fn for_each(&self, mut f: impl FnMut(&RowRef<'_>)) -> Result<(), sqlx::Error> {
        loop {
            // SAFETY: a live statement on a connection this thread has locked.
            match unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) } {
                ffi::SQLITE_ROW => f(&RowRef { stmt: self }),
                ffi::SQLITE_DONE => return Ok(()),
                _ => return Err(error(self.db, "step")),
            }
        }
    }
}

/// A connection of the pool with its handle locked for raw statements.
pub struct Raw {
    db: *mut ffi::sqlite3,
}

impl Raw {
    pub fn prepare(&self, sql: &str) -> Result<Stmt, sqlx::Error> {
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        // SAFETY: `db` is the locked handle; the SQL is passed with its length (no NUL needed).
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.db,
                sql.as_ptr() as *const c_char,
                sql.len() as c_int,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Stmt { db: self.db, stmt }),
            _ => Err(error(self.db, "prepare")),
        }
    }

    fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.prepare(sql)?.for_each(|_| {})
    }
}

/// Run `f` on a reader connection of `pool`, inside one read transaction (a consistent snapshot
/// across its statements), with the handle locked.
pub async fn with_read<T>(
    pool: &SqlitePool,
    f: impl FnOnce(&Raw) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut handle = conn.lock_handle().await?;
    let raw = Raw {
        db: handle.as_raw_handle().as_ptr(),
    };
    raw.exec("BEGIN")?;
    let out = f(&raw);
    // A read transaction has nothing to keep: end it whatever happened.
    let end = raw.exec("COMMIT");
    let out = out?;
    end?;
    Ok(out)
}
