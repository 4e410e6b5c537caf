//! The `.eval` log: a zip of `header.json` and one member per sample — a monolith
//! `samples/{id}_epoch_{n}.json`, or the chunked layout `samples/{id}_epoch_{n}/sample.json` with
//! its `events/{start}.json` and `attachments/{start}.json` sequences. Members are read one at a
//! time; a log with only `_journal/start.json` is still being written and is refused.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};

use serde::de::DeserializeOwned;
use zip::result::ZipError;
use zip::ZipArchive;

use super::log::{Event, Header, Sample, Start};
use super::{plan, sample, Attachments};
use crate::server::import::emit::{Emitter, Fail, ReadError};
use crate::server::import::{ReadOptions, SourceFile};

/// A sample stored in the chunked layout: its shell and its sequences' members by start index.
#[derive(Default)]
struct Chunked {
    shell: Option<usize>,
    events: Vec<(u64, usize)>,
    attachments: Vec<(u64, usize)>,
}

enum Entry {
    Monolith(usize),
    Chunked(String),
}

/// Whether `prefix` (a member name without `.json` or a chunked sample's folder) ends in
/// `_epoch_{n}`.
fn has_epoch_suffix(prefix: &str) -> bool {
    prefix.rsplit_once("_epoch_").is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A chunked sample's member: (sample folder, sequence, start) — `sequence` is `sample` for the
/// shell, `events`/`attachments`/… for chunks.
fn chunked_member(name: &str) -> Option<(&str, &str, Option<u64>)> {
    if let Some(prefix) = name.strip_suffix("/sample.json") {
        return has_epoch_suffix(prefix).then_some((prefix, "sample", None));
    }
    let stem = name.strip_suffix(".json")?;
    let (dir, file) = stem.rsplit_once('/')?;
    let (prefix, seq) = dir.rsplit_once('/')?;
    let start = file.parse::<u64>().ok()?;
    has_epoch_suffix(prefix).then_some((prefix, seq, Some(start)))
}

fn member<T: DeserializeOwned, R: Read + Seek>(zip: &mut ZipArchive<R>, index: usize) -> Result<T, ReadError> {
    member_ending(zip, index).map(|(t, _)| t)
}

/// A member and the offset in the file near its end (its header's start plus its compressed
/// size): how far a reader taking the members in the order written has got.
fn member_ending<T: DeserializeOwned, R: Read + Seek>(zip: &mut ZipArchive<R>, index: usize) -> Result<(T, u64), ReadError> {
    let m = zip.by_index(index).map_err(|e| ReadError::new(format!("zip member {index}: {e}")))?;
    let end = m.header_start() + m.compressed_size();
    let name = m.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("zip member {index}"));
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, m));
    let t = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path.is_empty() || path == "." { name } else { format!("{name} at {path}") };
        ReadError::at(at, inner.to_string())
    })?;
    Ok((t, end))
}

fn named<T: DeserializeOwned, R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str) -> Result<Option<T>, ReadError> {
    match zip.index_for_name(name) {
        Some(i) => member(zip, i).map(Some),
        None => Ok(None),
    }
}

pub fn read_eval(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let mut zip = ZipArchive::new(BufReader::new(file.open()?)).map_err(|e| match e {
        ZipError::InvalidArchive(_) | ZipError::Io(_) => {
            ReadError::new(format!("not a complete zip archive ({e}): the .eval file is truncated or damaged"))
        }
        other => ReadError::new(format!("cannot read the zip archive: {other}")),
    })?;
    let header: Header = match named(&mut zip, "header.json")? {
        Some(h) => h,
        None => {
            return Err(Fail::Bad(match named::<Start, _>(&mut zip, "_journal/start.json")? {
                Some(s) => ReadError::new(format!(
                    "the log of task '{}' is still being written (it has only _journal/start.json, no header.json): \
                     import it once the eval has finished",
                    s.eval.task
                )),
                None => ReadError::new("not an Inspect AI log: the zip has no header.json"),
            }))
        }
    };
    let plan = plan(&header, file, opts.bench.as_deref(), opts.channel.as_deref())?;
    emit.run(plan.header)?;

    // Classify the members once, from the central directory; samples keep the order they were written.
    let mut order = Vec::new();
    let mut chunked: HashMap<String, Chunked> = HashMap::new();
    for i in 0..zip.len() {
        let Some(Ok(name)) = zip.name_for_index(i) else { continue };
        let name: &str = &name;
        let Some(rest) = name.strip_prefix("samples/") else { continue };
        if rest.strip_suffix(".json").is_some_and(has_epoch_suffix) {
            order.push(Entry::Monolith(i));
        } else if let Some((prefix, seq, start)) = chunked_member(name) {
            let c = chunked.entry(prefix.to_string()).or_default();
            match (seq, start) {
                ("sample", _) => {
                    c.shell = Some(i);
                    order.push(Entry::Chunked(prefix.to_string()));
                }
                ("events", Some(s)) => c.events.push((s, i)),
                ("attachments", Some(s)) => c.attachments.push((s, i)),
                _ => {}
            }
        }
    }
    if order.is_empty() && header.status == "success" {
        return Err(Fail::Bad(ReadError::at("samples/", "the log has no samples (written with log_samples=False?)")));
    }
    for entry in order {
        let (location, s, att) = match entry {
            Entry::Monolith(i) => {
                let location = match zip.name_for_index(i) {
                    Some(Ok(n)) => n.into_owned(),
                    _ => format!("zip member {i}"),
                };
                let (mut s, end): (Sample, u64) = member_ending(&mut zip, i)?;
                file.reached(end);
                let att = Attachments::ByHash(std::mem::take(&mut s.attachments));
                (location, s, att)
            }
            Entry::Chunked(prefix) => {
                let mut c = chunked.remove(&prefix).unwrap_or_default();
                let (mut s, end): (Sample, u64) = member_ending(&mut zip, c.shell.unwrap_or_default())?;
                file.reached(end);
                // Chunks are named by their first item's index: numeric order, not the names'.
                c.events.sort();
                for (_, i) in c.events {
                    s.events.extend(member::<Vec<Event>, _>(&mut zip, i)?);
                }
                c.attachments.sort();
                let mut texts = Vec::new();
                for (_, i) in c.attachments {
                    texts.extend(member::<Vec<String>, _>(&mut zip, i)?);
                }
                (format!("{prefix}/"), s, Attachments::ByIndex(texts))
            }
        };
        let (case, result) = sample(s, &plan.scorers, &att);
        emit.case(0, case)?;
        emit.result(0, location, result)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_of_both_layouts() {
        assert!(has_epoch_suffix("samples/geo/paris_epoch_1"));
        assert!(!has_epoch_suffix("samples/a_epoch_1/events/0"));
        assert!(!has_epoch_suffix("samples/a_epoch_"));
        assert_eq!(chunked_member("samples/geo/paris_epoch_2/sample.json"), Some(("samples/geo/paris_epoch_2", "sample", None)));
        assert_eq!(chunked_member("samples/1_epoch_1/events/16.json"), Some(("samples/1_epoch_1", "events", Some(16))));
        assert_eq!(chunked_member("samples/1_epoch_1/attachments/0.json"), Some(("samples/1_epoch_1", "attachments", Some(0))));
        assert_eq!(chunked_member("samples/1_epoch_1/events/stats.json"), None);
        assert_eq!(chunked_member("samples/x_epoch_1/sample_epoch_3.json"), None, "a monolith whose id ends in /sample");
    }
}
