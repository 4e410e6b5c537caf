//! The bodies of `assay backup` and `assay restore`: run the operation, print what it did.

use std::path::Path;

use super::backup::{self, OpsError, Summary};

fn describe(s: &Summary) -> String {
    format!(
        "{} runs, {} results, schema at migration {} ({:.1} MB)",
        s.runs,
        s.results,
        s.migrations,
        s.bytes as f64 / 1e6
    )
}

/// PostgreSQL: the command to run goes alone to stdout, the reason to stderr, and the exit
/// status is 2 (nothing was copied, and a script must not think otherwise).
fn answer(done: Result<Summary, OpsError>, what: &str) -> Result<Summary, String> {
    match done {
        Ok(s) => Ok(s),
        Err(OpsError::UsePostgresTool(cmd)) => {
            eprintln!("assay {what} works on SQLite databases; for PostgreSQL run:");
            println!("{cmd}");
            std::process::exit(2);
        }
        Err(OpsError::Failed(msg)) => Err(msg),
    }
}

pub async fn backup(url: &str, file: &Path) -> Result<(), String> {
    let started = std::time::Instant::now();
    let s = answer(backup::backup(url, file).await, "backup")?;
    println!("backed up {} to {}: {} in {:.1} s", url, file.display(), describe(&s), started.elapsed().as_secs_f64());
    Ok(())
}

pub async fn restore(url: &str, file: &Path, force: bool) -> Result<(), String> {
    let s = answer(backup::restore(url, file, force).await, "restore")?;
    println!("restored {} into {}: {}; migrated to this version's schema", file.display(), url, describe(&s));
    Ok(())
}
