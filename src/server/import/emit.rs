//! The readers' output side: cases and results gathered into lines of at most [`LINE_ITEMS`]
//! items (and a few MB), each case sent once per bench and before the first result that needs it.

use std::collections::{HashMap, HashSet};

use crate::server::store::input::{CaseInput, ResultInput, TextOrJson};
use crate::server::store::import_lines::{ImportLine, RunHeader, LINE_ITEMS};

/// A results line is cut at about this many bytes of text (outputs, traces), so a log of huge
/// samples never builds a line of gigabytes.
const LINE_BYTES: usize = 8 << 20;

/// The writer gave up (its own error says why); the reader stops.
#[derive(Debug)]
pub struct Stopped;

/// Where a source cannot be read, and why: `location` is a zip member or a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub location: Option<String>,
    pub message: String,
}

impl ReadError {
    pub fn new(message: impl Into<String>) -> Self {
        ReadError { location: None, message: message.into() }
    }

    pub fn at(location: impl Into<String>, message: impl Into<String>) -> Self {
        ReadError { location: Some(location.into()), message: message.into() }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a reader ended early.
#[derive(Debug)]
pub enum Fail {
    Bad(ReadError),
    Stopped,
}

impl From<ReadError> for Fail {
    fn from(e: ReadError) -> Self {
        Fail::Bad(e)
    }
}

impl From<Stopped> for Fail {
    fn from(_: Stopped) -> Self {
        Fail::Stopped
    }
}

/// Receives each line with the source locations of its items (for `results` lines), so a result
/// the store refuses can be traced back to its zip member or JSON path.
pub type Sink<'a> = dyn FnMut(ImportLine, Vec<String>) -> Result<(), Stopped> + 'a;

pub struct Emitter<'a> {
    sink: &'a mut Sink<'a>,
    bench_of: HashMap<u32, String>,
    seen: HashSet<(String, String)>,
    cases: Vec<CaseInput>,
    cases_run: u32,
    results: HashMap<u32, Pending>,
    /// Results emitted per run key.
    pub counts: HashMap<u32, usize>,
}

#[derive(Default)]
struct Pending {
    items: Vec<ResultInput>,
    locations: Vec<String>,
    bytes: usize,
}

impl<'a> Emitter<'a> {
    pub fn new(sink: &'a mut Sink<'a>) -> Self {
        Emitter {
            sink,
            bench_of: HashMap::new(),
            seen: HashSet::new(),
            cases: Vec::new(),
            cases_run: 0,
            results: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    pub fn run(&mut self, header: RunHeader) -> Result<(), Stopped> {
        self.bench_of.insert(header.key, header.bench.name.clone());
        self.counts.insert(header.key, 0);
        (self.sink)(ImportLine::Run(header), Vec::new())
    }

    /// A case of run `key`'s bench; sent once per bench however many runs and epochs name it.
    pub fn case(&mut self, key: u32, case: CaseInput) -> Result<(), Stopped> {
        let bench = self.bench_of.get(&key).cloned().unwrap_or_default();
        if !self.seen.insert((bench, case.id.clone())) {
            return Ok(());
        }
        if !self.cases.is_empty() && (self.cases_run != key || self.cases.len() >= LINE_ITEMS) {
            self.flush_cases()?;
        }
        self.cases_run = key;
        self.cases.push(case);
        Ok(())
    }

    pub fn result(&mut self, key: u32, location: String, r: ResultInput) -> Result<(), Stopped> {
        *self.counts.entry(key).or_default() += 1;
        let p = self.results.entry(key).or_default();
        p.bytes += approx_bytes(&r);
        p.items.push(r);
        p.locations.push(location);
        if p.items.len() >= LINE_ITEMS || p.bytes >= LINE_BYTES {
            self.flush_results(key)?;
        }
        Ok(())
    }

    fn flush_cases(&mut self) -> Result<(), Stopped> {
        if self.cases.is_empty() {
            return Ok(());
        }
        let cases = std::mem::take(&mut self.cases);
        (self.sink)(ImportLine::Cases { run: self.cases_run, cases }, Vec::new())
    }

    fn flush_results(&mut self, key: u32) -> Result<(), Stopped> {
        // Every case a result names has been sent before the result.
        self.flush_cases()?;
        if let Some(p) = self.results.remove(&key) {
            if !p.items.is_empty() {
                (self.sink)(ImportLine::Results { run: key, results: p.items }, p.locations)?;
            }
        }
        Ok(())
    }

    /// Flush what is pending and close the stream.
    pub fn end(mut self) -> Result<HashMap<u32, usize>, Stopped> {
        self.flush_cases()?;
        let mut keys: Vec<u32> = self.results.keys().copied().collect();
        keys.sort();
        for k in keys {
            self.flush_results(k)?;
        }
        (self.sink)(ImportLine::End, Vec::new())?;
        Ok(self.counts)
    }
}

fn text_len(t: &Option<TextOrJson>) -> usize {
    match t {
        Some(TextOrJson::Text(s)) => s.len(),
        Some(TextOrJson::Json(_)) => 256,
        None => 0,
    }
}

/// A cheap estimate of a result's size on the wire, from its long texts.
fn approx_bytes(r: &ResultInput) -> usize {
    let output = match &r.workflow_output {
        Some(serde_json::Value::String(s)) => s.len(),
        Some(_) => 1024,
        None => 0,
    };
    let trace = r.trace.as_ref().map_or(0, |t| {
        t.steps.iter().map(|s| 64 + text_len(&s.output)).sum::<usize>()
            + t.tool_calls.iter().map(|c| 64 + text_len(&c.arguments) + text_len(&c.result)).sum::<usize>()
    });
    let scorers: usize = r.scorer_results.iter().map(|s| 128 + s.reason.as_ref().map_or(0, String::len)).sum();
    512 + output + trace + scorers + r.error.as_ref().map_or(0, String::len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::input::{ImportBench, ImportRun};
    use crate::server::store::import_lines::HeaderScript;
    use serde_json::json;

    fn header(key: u32, bench: &str) -> RunHeader {
        RunHeader {
            key,
            bench: ImportBench { name: bench.into(), ..Default::default() },
            workflow: HeaderScript::default(),
            judge: HeaderScript::default(),
            run: ImportRun::default(),
            total_cases: None,
        }
    }

    fn case(id: &str) -> CaseInput {
        serde_json::from_value(json!({"id": id})).unwrap()
    }

    fn result(id: &str) -> ResultInput {
        serde_json::from_value(json!({"case_id": id, "status": "ok"})).unwrap()
    }

    #[test]
    fn cases_go_once_per_bench_and_before_their_results() {
        let mut lines: Vec<(ImportLine, Vec<String>)> = Vec::new();
        let mut sink = |l: ImportLine, loc: Vec<String>| {
            lines.push((l, loc));
            Ok(())
        };
        let mut e = Emitter::new(&mut sink);
        e.run(header(0, "b")).unwrap();
        e.run(header(1, "b")).unwrap();
        for i in 0..(LINE_ITEMS + 5) {
            let id = format!("c{}", i % 3);
            e.case(0, case(&id)).unwrap();
            e.case(1, case(&id)).unwrap();
            e.result(0, format!("r{i}"), result(&id)).unwrap();
        }
        e.result(1, "x".into(), result("c0")).unwrap();
        let counts = e.end().unwrap();
        assert_eq!(counts[&0], LINE_ITEMS + 5);
        let kinds: Vec<String> = lines
            .iter()
            .map(|(l, _)| match l {
                ImportLine::Run(h) => format!("run{}", h.key),
                ImportLine::Cases { run, cases } => format!("cases{run}:{}", cases.len()),
                ImportLine::Results { run, results } => format!("results{run}:{}", results.len()),
                ImportLine::End => "end".into(),
            })
            .collect();
        assert_eq!(kinds, ["run0", "run1", "cases0:3", "results0:1000", "results0:5", "results1:1", "end"]);
        assert_eq!(lines[4].1, ["r1000", "r1001", "r1002", "r1003", "r1004"], "locations follow their results");
    }

    #[test]
    fn big_texts_cut_a_line_early() {
        let mut n = 0;
        let mut sink = |l: ImportLine, _| {
            if let ImportLine::Results { results, .. } = l {
                assert!(results.len() <= 9);
                n += 1;
            }
            Ok(())
        };
        let mut e = Emitter::new(&mut sink);
        e.run(header(0, "b")).unwrap();
        let mut r = result("a");
        r.workflow_output = Some(json!("x".repeat(1 << 20)));
        for _ in 0..20 {
            e.result(0, String::new(), r.clone()).unwrap();
        }
        e.end().unwrap();
        assert_eq!(n, 3);
    }
}
