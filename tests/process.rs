//! The real `assay` binary as a process, on SQLite and on PostgreSQL: killed with SIGKILL in
//! the middle of ingestion, shut down with SIGTERM and Ctrl-C, loaded by concurrent writers
//! and readers, backed up while it writes, and its logs.

mod common;

#[path = "process/harness.rs"]
mod harness;

#[path = "process/crash.rs"]
mod crash;

#[path = "process/shutdown.rs"]
mod shutdown;

#[path = "process/backup.rs"]
mod backup;

#[path = "process/logs.rs"]
mod logs;

#[path = "process/load.rs"]
mod load;
