//! `assay import --server`: one file is one streamed request to `POST /api/import/stream` — its
//! lines (NDJSON) are written into the body while the file is read, and the server applies them in
//! one import session, committing only after the `end` line. A file cut short (a reader error, a
//! dropped connection) therefore writes nothing on the server, as a local import would.

use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use super::detect::Format;
use super::emit::{Fail, ReadError, Stopped};
use super::local::{locate, WriteError};
use super::{read_file, ReadOptions, SourceFile};
use crate::server::store::import_lines::{ImportLine, ImportOutcome};

pub struct Remote {
    agent: ureq::Agent,
    url: String,
    auth: String,
}

/// The request body: the reader thread's lines, as they come.
struct Body {
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for Body {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.buf = next;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
    field: Option<String>,
}

/// What pushing one file came to.
pub enum Pushed {
    Done(Format, ImportOutcome),
    /// The file could not be read: nothing was sent to completion, nothing written.
    Unreadable(Option<Format>, ReadError),
    Refused(Option<Format>, WriteError),
}

impl Remote {
    pub fn new(server: &str, token: &str) -> Remote {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(600)))
            .build()
            .into();
        Remote { agent, url: format!("{}/api/import/stream", server.trim_end_matches('/')), auth: format!("Bearer {token}") }
    }

    /// Stream one file to the server.
    pub fn push(&self, file: &SourceFile, opts: &ReadOptions, on_results: &(dyn Fn(usize) + Sync)) -> Pushed {
        let (tx, rx) = sync_channel::<Vec<u8>>(8);
        let locations: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());
        let shared = &locations;
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut sink = move |line: ImportLine, locs: Vec<String>| {
                    let n = match &line {
                        ImportLine::Results { results, .. } => results.len(),
                        _ => 0,
                    };
                    let mut bytes = serde_json::to_vec(&line).map_err(|_| Stopped)?;
                    bytes.push(b'\n');
                    shared.lock().expect("locations").push(locs);
                    tx.send(bytes).map_err(|_| Stopped)?;
                    on_results(n);
                    Ok(())
                };
                read_file(file, opts, &mut sink)
            });
            let mut body = Body { rx, buf: Vec::new(), pos: 0 };
            let sent = self
                .agent
                .post(&self.url)
                .header("Authorization", &self.auth)
                .header("Content-Type", "application/x-ndjson")
                .send(ureq::SendBody::from_reader(&mut body));
            drop(body);
            let read = reader.join().unwrap_or_else(|_| Err((None, Fail::Bad(ReadError::new("the reader panicked")))));
            let format = match &read {
                Ok((f, _)) => Some(*f),
                Err((f, _)) => *f,
            };
            if let Err((f, Fail::Bad(e))) = read {
                return Pushed::Unreadable(f, e);
            }
            let mut res = match sent {
                Ok(r) => r,
                Err(e) => return Pushed::Refused(format, WriteError { location: None, message: format!("{}: {e}", self.url) }),
            };
            let status = res.status().as_u16();
            let text = res.body_mut().with_config().limit(16 << 20).read_to_string().unwrap_or_default();
            if status == 200 {
                return match (serde_json::from_str::<ImportOutcome>(&text), format) {
                    (Ok(o), Some(f)) => Pushed::Done(f, o),
                    _ => Pushed::Refused(format, WriteError { location: None, message: format!("unexpected answer: {text}") }),
                };
            }
            let err = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(b) => {
                    let locs = locations.lock().expect("locations");
                    WriteError { location: remote_location(b.error.field.as_deref(), &locs), message: b.error.message }
                }
                Err(_) => WriteError { location: None, message: format!("HTTP {status}: {}", text.trim()) },
            };
            Pushed::Refused(format, err)
        })
    }
}

/// A server error's field (`lines[6].results[3].headline_score`) as a source location.
fn remote_location(field: Option<&str>, lines: &[Vec<String>]) -> Option<String> {
    let field = field?;
    let Some(rest) = field.strip_prefix("lines[") else { return Some(field.to_string()) };
    let Some((n, tail)) = rest.split_once("].") else { return Some(field.to_string()) };
    match n.parse::<usize>().ok().and_then(|i| lines.get(i)) {
        Some(locs) => locate(Some(tail), locs),
        None => Some(field.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_fields_map_to_source_locations() {
        let lines = vec![vec![], vec!["line 4".to_string(), "line 5".to_string()]];
        assert_eq!(remote_location(Some("lines[1].results[1].headline_score"), &lines).as_deref(), Some("line 5 (headline_score)"));
        assert_eq!(remote_location(Some("lines[0].bench.name"), &lines).as_deref(), Some("bench.name"));
        assert_eq!(remote_location(Some("body"), &lines).as_deref(), Some("body"));
    }
}
