//! SQLite's online backup API (`sqlite3_backup_*`), which sqlx does not wrap: copy one database
//! into another page by page, under SQLite's own locks, so the destination changes in one step
//! and connections that have it open see either the old content or the new, never a mixture.
//!
//! The unsafe code is confined to [`copy`]: both handles come from sqlx connections locked for
//! the duration (sqlx's worker makes no call on them meanwhile), and the backup object is
//! finished before the locks are released.

use std::ffi::{c_int, CStr};

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;

/// Copy every page of `src`'s main database over `dest`'s. A busy destination waits for its
/// busy timeout; the copy is one step, so it is whole or it is not made.
pub async fn copy(src: &mut SqliteConnection, dest: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut src_handle = src.lock_handle().await?;
    let mut dest_handle = dest.lock_handle().await?;
    let src_db = src_handle.as_raw_handle().as_ptr();
    let dest_db = dest_handle.as_raw_handle().as_ptr();
    let main = c"main";
    // SAFETY: both pointers are live connection handles, locked above and not used by any other
    // thread until the guards drop at the end of this function; `main` is NUL-terminated and
    // outlives the call. The backup object is finished exactly once, on every path.
    unsafe {
        let backup = ffi::sqlite3_backup_init(dest_db, main.as_ptr(), src_db, main.as_ptr());
        if backup.is_null() {
            return Err(error(dest_db, "backup init"));
        }
        let step = ffi::sqlite3_backup_step(backup, -1);
        let finish = ffi::sqlite3_backup_finish(backup);
        if step != ffi::SQLITE_DONE {
            return Err(sqlx::Error::Protocol(format!(
                "sqlite backup step: {} (code {step})",
                errstr(step)
            )));
        }
        if finish != ffi::SQLITE_OK {
            return Err(error(dest_db, "backup finish"));
        }
    }
    Ok(())
}

fn error(db: *mut ffi::sqlite3, what: &str) -> sqlx::Error {
    // SAFETY: `db` is a live, locked handle; the message is copied before any other call on it.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    sqlx::Error::Protocol(format!("sqlite {what}: {msg}"))
}

fn errstr(code: c_int) -> String {
    // SAFETY: sqlite3_errstr returns a static NUL-terminated string for any code.
    unsafe { CStr::from_ptr(ffi::sqlite3_errstr(code)) }.to_string_lossy().into_owned()
}
