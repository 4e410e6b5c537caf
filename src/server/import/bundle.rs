//! Native bundles — the `POST /api/import` body — one a file, several as a JSON array or one a
//! line. A single bundle is read in passes (its header, then its cases, then its results) so a
//! large one is never held whole; each bundle of a list is one run of the file's stream.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::{json, Value};

use super::emit::{Emitter, Fail, ReadError};
use super::json_stream::{read_doc, stream_array};
use super::{ReadOptions, SourceFile};
use crate::server::store::input::{CaseInput, ImportBench, ImportBundle, ImportRun, ImportScript, ResultInput};
use crate::server::store::import_lines::RunHeader;

/// A bundle without its cases and results.
#[derive(Deserialize)]
struct Head {
    bench: ImportBench,
    workflow: ImportScript,
    judge: ImportScript,
    run: ImportRun,
}

/// The bundle's run with `--bench`/`--channel` applied and the provenance keys added.
fn header(key: u32, h: Head, file: &SourceFile, source_id: &str, opts: &ReadOptions) -> RunHeader {
    let mut bench = h.bench;
    if let Some(b) = &opts.bench {
        bench.name = b.clone();
    }
    let mut run = h.run;
    if let Some(c) = &opts.channel {
        run.channel = Some(c.clone());
    }
    let mut meta = match run.metadata.take() {
        Some(Value::Object(m)) => m,
        _ => Default::default(),
    };
    meta.insert("source_format".into(), json!("bundle"));
    meta.insert("source_file".into(), json!(file.name));
    meta.insert("source_id".into(), json!(source_id));
    meta.insert("source_column".into(), json!(key));
    run.metadata = Some(Value::Object(meta));
    RunHeader { key, bench, workflow: h.workflow.into(), judge: h.judge.into(), run, total_cases: None }
}

fn whole(key: u32, b: ImportBundle, file: &SourceFile, id: &str, opts: &ReadOptions, at: &str, emit: &mut Emitter) -> Result<(), Fail> {
    let head = Head { bench: b.bench, workflow: b.workflow, judge: b.judge, run: b.run };
    emit.run(header(key, head, file, id, opts))?;
    for c in b.cases {
        emit.case(key, c)?;
    }
    for (i, r) in b.results.into_iter().enumerate() {
        emit.result(key, format!("{at}results[{i}]"), r)?;
    }
    Ok(())
}

/// A file holding one bundle object.
pub fn read_one(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let head: Head = read_doc(file.open()?)?;
    let id = file.sha256()?;
    emit.run(header(0, head, file, &id, opts))?;
    stream_array::<CaseInput>(file.open()?, &["cases"], &mut |_, c| Ok(emit.case(0, c)?))?;
    stream_array::<ResultInput>(file.open_tracked()?, &["results"], &mut |i, r| Ok(emit.result(0, format!("results[{i}]"), r)?))?;
    Ok(())
}

/// A file holding a JSON array of bundles (streamed: the array is the document itself).
pub fn read_array(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let id = file.sha256()?;
    stream_array::<ImportBundle>(file.open_tracked()?, &[], &mut |i, b| whole(i as u32, b, file, &id, opts, &format!("[{i}]."), emit))?;
    Ok(())
}

/// A file holding one bundle a line.
pub fn read_lines(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let id = file.sha256()?;
    let reader = std::io::BufReader::new(file.open_tracked()?);
    let mut key = 0u32;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| ReadError::at(format!("line {}", n + 1), e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(&line);
        let b: ImportBundle = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            ReadError::at(format!("line {} at {path}", n + 1), e.into_inner().to_string())
        })?;
        whole(key, b, file, &id, opts, &format!("line {} ", n + 1), emit)?;
        key += 1;
    }
    Ok(())
}
