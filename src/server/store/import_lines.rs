//! The import stream's wire types: the lines of `POST /api/import/stream` (NDJSON) and the pieces
//! `assay import` feeds an [`ImportSession`](super::ImportSession) — a run's header,
//! then its cases and results in batches, then `end`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::{CaseInput, ImportBench, ImportRun, ImportScript, ResultInput};

/// Items per `cases` or `results` line: the session writes each line as one batch.
pub const LINE_ITEMS: usize = 1_000;

/// One line of an import stream. A `run` line comes before the `cases` and `results` lines that
/// name its key; `end` closes the stream (a stream cut short before `end` writes nothing).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "snake_case")]
pub enum ImportLine {
    Run(RunHeader),
    Cases { run: u32, cases: Vec<CaseInput> },
    Results { run: u32, results: Vec<ResultInput> },
    End,
}

/// Everything a run needs before its results: bench, scripts and the run's own fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunHeader {
    /// The stream's name for this run (unique within the stream).
    pub key: u32,
    pub bench: ImportBench,
    pub workflow: HeaderScript,
    pub judge: HeaderScript,
    pub run: ImportRun,
    /// Cases the source meant to run (an Inspect dataset's samples): a run cut short counts the
    /// ones without a result as missing. Without it the run's total is the cases it has results for.
    #[serde(default)]
    pub total_cases: Option<i64>,
}

/// A script named by a run header. Without a `name` the bench's own script is used (or, for a new
/// bench, one named after it: `{bench}` and `{bench}-judge`); a `source` is published on the way in
/// (an existing version with the same content is reused), else `version` names an existing one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeaderScript {
    pub name: Option<String>,
    pub version: Option<i64>,
    pub source: Option<String>,
    pub language: Option<String>,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub config: Option<Value>,
}

impl From<ImportScript> for HeaderScript {
    fn from(s: ImportScript) -> Self {
        HeaderScript {
            name: Some(s.name),
            version: s.version,
            source: s.source,
            language: s.language,
            label: s.label,
            published_by: s.published_by,
            model: s.model,
            system_prompt: s.system_prompt,
            temperature: s.temperature,
            config: s.config,
        }
    }
}

/// What became of one run of an import: created, or recognised as imported before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportedRun {
    pub key: u32,
    pub run_id: i64,
    pub bench: String,
    pub channel: String,
    /// False when the run was imported before (same source format, source id and column).
    pub created: bool,
    pub results: i64,
}

/// The answer to a whole import stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub runs: Vec<ImportedRun>,
}
