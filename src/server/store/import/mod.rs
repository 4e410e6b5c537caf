//! Imports: a whole run — scripts, bench, cases, run and results — written through an import
//! session (`session.rs`: one transaction, chunk by chunk, recognising runs imported before).
//! `POST /api/import` sends one bundle through it; `assay import` and `POST /api/import/stream`
//! send a file's lines.

mod session;

pub use session::ImportSession;

use super::import_lines::{RunHeader, LINE_ITEMS};
use super::input::ImportBundle;
use super::{Store, StoreError, StoreResult};
use crate::model::Run;

/// The error with its field path under `p` (`workflow.version`, `bench.score_max`…).
fn prefix(e: StoreError, p: &str) -> StoreError {
    e.map_field(|f| {
        Some(match f {
            Some(f) => format!("{p}.{f}"),
            None => p.to_string(),
        })
    })
}

/// Field paths of a chunk's error counted from the start of the bundle's results.
fn offset_results(e: StoreError, offset: usize) -> StoreError {
    e.map_field(|f| {
        let f = f?;
        let shifted = f.strip_prefix("results[").and_then(|rest| {
            let (n, tail) = rest.split_once(']')?;
            Some(format!("results[{}]{tail}", n.parse::<usize>().ok()? + offset))
        });
        Some(shifted.unwrap_or(f))
    })
}

impl Store {
    /// Import one bundle, left finished. Returns the run and whether it was created (false: its
    /// idempotency key or its source named a run imported before).
    pub async fn import_bundle(&self, b: ImportBundle) -> StoreResult<(Run, bool)> {
        let mut session = self.import_session().await?;
        let header = RunHeader {
            key: 0,
            bench: b.bench,
            workflow: b.workflow.into(),
            judge: b.judge.into(),
            run: b.run,
            total_cases: None,
        };
        let begun = session.begin_run(header).await?;
        if begun.created {
            session.cases(0, &b.cases).await?;
            let mut rest = b.results;
            let mut offset = 0;
            while !rest.is_empty() {
                let tail = rest.split_off(rest.len().min(LINE_ITEMS));
                let chunk = std::mem::replace(&mut rest, tail);
                let n = chunk.len();
                session.results(0, chunk).await.map_err(|e| offset_results(e, offset))?;
                offset += n;
            }
        }
        let (_, mut runs) = session.finish().await?;
        Ok((runs.remove(0), begun.created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_errors_count_from_the_bundles_start() {
        let e = offset_results(StoreError::invalid("results[3].status", "x"), 1000);
        assert_eq!(e.field_name(), Some("results[1003].status"));
        let e = prefix(StoreError::invalid("score_max", "x"), "bench");
        assert_eq!(e.field_name(), Some("bench.score_max"));
    }
}
