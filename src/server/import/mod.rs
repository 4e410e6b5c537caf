//! `assay import`: readers that turn Inspect AI logs, promptfoo exports and Assay bundles into an
//! import stream (run headers, then cases and results in batches), and the command that writes
//! each file into a local database or pushes it to a server, one file one transaction.

pub mod bundle;
pub mod command;
pub mod detect;
pub mod emit;
pub mod inspect;
mod json_split;
mod json_stream;
pub mod local;
pub mod progress;
pub mod promptfoo;
pub mod remote;
pub mod slug;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use detect::Format;
use emit::{Emitter, Fail, ReadError, Sink};
use progress::{OnProgress, Tracked};

/// A file being imported: opened again for each pass, its sha256 computed when a source id needs it.
pub struct SourceFile {
    pub path: PathBuf,
    /// The base name, kept as the runs' `source_file`.
    pub name: String,
    sha: OnceLock<String>,
    progress: Option<OnProgress>,
}

impl SourceFile {
    pub fn new(path: &Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        SourceFile { path: path.to_path_buf(), name, sha: OnceLock::new(), progress: None }
    }

    /// Report how far the reading of the results has got (a byte offset) to `on`.
    pub fn with_progress(mut self, on: OnProgress) -> Self {
        self.progress = Some(on);
        self
    }

    pub fn open(&self) -> Result<std::fs::File, ReadError> {
        std::fs::File::open(&self.path).map_err(|e| ReadError::new(format!("cannot open: {e}")))
    }

    /// The file opened for the pass that reads its results: its position is the import's progress.
    pub fn open_tracked(&self) -> Result<Tracked<std::fs::File>, ReadError> {
        Ok(Tracked::new(self.open()?, self.progress.clone()))
    }

    /// The results pass has read up to `offset` (a zip member's end).
    pub fn reached(&self, offset: u64) {
        if let Some(on) = &self.progress {
            on(offset);
        }
    }

    /// The file name without its extension.
    pub fn stem(&self) -> String {
        self.path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// sha256 of the file's bytes (the source id of files that carry none).
    pub fn sha256(&self) -> Result<String, ReadError> {
        if let Some(s) = self.sha.get() {
            return Ok(s.clone());
        }
        use sha2::{Digest, Sha256};
        let mut f = self.open()?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(|e| ReadError::new(format!("cannot read: {e}")))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let s = hex::encode(h.finalize());
        Ok(self.sha.get_or_init(|| s).clone())
    }
}

/// `--bench` and `--channel`: names that override what a source says.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub bench: Option<String>,
    pub channel: Option<String>,
}

/// Read one file into `sink` (run lines, cases, results, then `end`). Returns its format and the
/// results sent per run key.
pub fn read_file(file: &SourceFile, opts: &ReadOptions, sink: &mut Sink<'_>) -> Result<(Format, HashMap<u32, usize>), (Option<Format>, Fail)> {
    let format = detect::detect(file).map_err(|e| (None, Fail::Bad(e)))?;
    let mut emit = Emitter::new(sink);
    let res = match format {
        Format::InspectEval => inspect::read_eval(file, opts, &mut emit),
        Format::InspectJson => inspect::read_json(file, opts, &mut emit),
        Format::PromptfooJson => promptfoo::read_json(file, opts, &mut emit),
        Format::PromptfooJsonl => promptfoo::read_jsonl(file, opts, &mut emit),
        Format::Bundle => bundle::read_one(file, opts, &mut emit),
        Format::BundleArray => bundle::read_array(file, opts, &mut emit),
        Format::BundleLines => bundle::read_lines(file, opts, &mut emit),
    };
    res.map_err(|f| (Some(format), f))?;
    let counts = emit.end().map_err(|s| (Some(format), Fail::from(s)))?;
    Ok((format, counts))
}
