//! Writing one file's import stream into a local database through an import session: every line
//! in the same transaction, committed only when the stream reached its `end`.

use tokio::sync::mpsc;

use crate::server::store::import_lines::{ImportLine, ImportOutcome};
use crate::server::store::{Store, StoreError};

/// A line and the source locations of its results.
pub type Line = (ImportLine, Vec<String>);

/// Why a file was not written, with the source location at fault when it is known.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteError {
    pub location: Option<String>,
    pub message: String,
}

/// The source location of a store error's field: `results[3].headline_score` of a line whose
/// fourth result came from `samples/3_epoch_1.json` is `samples/3_epoch_1.json: headline_score`.
pub fn locate(field: Option<&str>, locations: &[String]) -> Option<String> {
    let field = field?;
    if let Some(rest) = field.strip_prefix("results[") {
        if let Some((n, tail)) = rest.split_once(']') {
            if let Some(loc) = n.parse::<usize>().ok().and_then(|i| locations.get(i)) {
                let tail = tail.trim_start_matches('.');
                return Some(if tail.is_empty() { loc.clone() } else { format!("{loc} ({tail})") });
            }
        }
    }
    Some(field.to_string())
}

/// A store error's message without its field (the field becomes the location).
pub fn message(e: &StoreError) -> String {
    match e {
        StoreError::Invalid { message, .. } | StoreError::Conflict { message, .. } => message.clone(),
        StoreError::NotFound { what, .. } => what.clone(),
        StoreError::Internal(m) => format!("internal error: {m}"),
        StoreError::Db(e) => format!("database error: {e}"),
    }
}

fn refused(e: StoreError, locations: &[String]) -> WriteError {
    WriteError { location: locate(e.field_name(), locations), message: message(&e) }
}

/// Apply the lines as they come. `Ok(None)`: the stream stopped before `end` (the reader failed;
/// its error says why) and nothing was written.
pub async fn write(store: &Store, rx: &mut mpsc::Receiver<Line>, on_results: &(dyn Fn(usize) + Sync)) -> Result<Option<ImportOutcome>, WriteError> {
    let mut session = store.import_session().await.map_err(|e| refused(e, &[]))?;
    while let Some((line, locations)) = rx.recv().await {
        match line {
            ImportLine::Run(h) => {
                session.begin_run(h).await.map_err(|e| refused(e, &locations))?;
            }
            ImportLine::Cases { run, cases } => session.cases(run, &cases).await.map_err(|e| refused(e, &locations))?,
            ImportLine::Results { run, results } => {
                let n = results.len();
                session.results(run, results).await.map_err(|e| refused(e, &locations))?;
                on_results(n);
            }
            ImportLine::End => {
                let (outcome, _) = session.finish().await.map_err(|e| refused(e, &[]))?;
                return Ok(Some(outcome));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_fields_point_back_into_the_source() {
        let locs = vec!["samples/1_epoch_1.json".to_string(), "samples/2_epoch_1.json".to_string()];
        assert_eq!(locate(Some("results[1].headline_score"), &locs).as_deref(), Some("samples/2_epoch_1.json (headline_score)"));
        assert_eq!(locate(Some("results[0]"), &locs).as_deref(), Some("samples/1_epoch_1.json"));
        assert_eq!(locate(Some("results[9].status"), &locs).as_deref(), Some("results[9].status"));
        assert_eq!(locate(Some("bench.name"), &locs).as_deref(), Some("bench.name"));
        assert_eq!(locate(None, &locs), None);
    }
}
