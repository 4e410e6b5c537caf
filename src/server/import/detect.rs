//! Which format a file holds, from its content (never its extension): a zip is an Inspect `.eval`;
//! JSON is told apart by its top-level keys — an Inspect EvalLog (`eval`, `status`), a promptfoo
//! export (`results` with `evalId`/`config`), a bundle (`bench`, `run`) — and one object a line is
//! a promptfoo `.jsonl` or a file of bundles.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::emit::ReadError;
use super::SourceFile;

/// The longest first line read to decide whether a file is one JSON object a line.
const FIRST_LINE: u64 = 16 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    InspectEval,
    InspectJson,
    PromptfooJson,
    PromptfooJsonl,
    Bundle,
    BundleArray,
    BundleLines,
}

impl Format {
    /// The `source_format` of the runs it makes.
    pub fn source_format(self) -> &'static str {
        match self {
            Format::InspectEval | Format::InspectJson => "inspect",
            Format::PromptfooJson | Format::PromptfooJsonl => "promptfoo",
            Format::Bundle | Format::BundleArray | Format::BundleLines => "bundle",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::InspectEval => "Inspect AI .eval log",
            Format::InspectJson => "Inspect AI .json log",
            Format::PromptfooJson => "promptfoo export",
            Format::PromptfooJsonl => "promptfoo .jsonl export",
            Format::Bundle => "Assay bundle",
            Format::BundleArray | Format::BundleLines => "Assay bundles",
        }
    }
}

/// The top-level keys of a JSON object, its values skipped.
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut keys = Keys(Vec::new());
        KeysUntil { keys: &mut keys, early: false, decided: &mut false }.deserialize(d)?;
        Ok(keys)
    }
}

/// Collects the top-level keys into `keys`; with `early`, stops (with an error, `decided` set) at
/// the first key that tells the document's format — before its value, which may be most of a
/// large file (a promptfoo export's `results`).
struct KeysUntil<'a> {
    keys: &'a mut Keys,
    early: bool,
    decided: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for KeysUntil<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeysUntil<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(k) = m.next_key::<String>()? {
            self.keys.0.push(k);
            if self.early && self.keys.document().is_ok() {
                *self.decided = true;
                return Err(serde::de::Error::custom("decided"));
            }
            m.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

impl Keys {
    fn has(&self, k: &str) -> bool {
        self.0.iter().any(|x| x == k)
    }

    fn is_promptfoo_result(&self) -> bool {
        self.has("promptIdx") || self.has("testCase") || (self.has("gradingResult") && self.has("provider"))
    }

    fn is_bundle(&self) -> bool {
        self.has("bench") && self.has("run")
    }

    fn document(&self) -> Result<Format, ReadError> {
        if self.has("eval") && self.has("status") {
            Ok(Format::InspectJson)
        } else if self.has("results") && (self.has("evalId") || self.has("config") || self.has("shareableUrl")) {
            Ok(Format::PromptfooJson)
        } else if self.is_bundle() {
            Ok(Format::Bundle)
        } else {
            let mut keys = self.0.clone();
            keys.truncate(12);
            Err(ReadError::new(format!(
                "not an Inspect AI log (keys eval, status), a promptfoo export (evalId, results, config) or an \
                 Assay bundle (bench, run, results): its top-level keys are [{}]",
                keys.join(", ")
            )))
        }
    }
}

pub fn detect(file: &SourceFile) -> Result<Format, ReadError> {
    let mut r = BufReader::new(file.open()?);
    let head = r.fill_buf().map_err(|e| ReadError::new(format!("cannot read: {e}")))?;
    if head.starts_with(b"PK") {
        return Ok(Format::InspectEval);
    }
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match start.iter().find(|b| !b.is_ascii_whitespace()) {
        None if head.is_empty() => return Err(ReadError::new("the file is empty")),
        Some(b'{') => {}
        Some(b'[') => return Ok(Format::BundleArray),
        _ => return Err(ReadError::new("neither a zip archive (.eval) nor JSON")),
    }
    let mut first = Vec::new();
    r.by_ref().take(FIRST_LINE).read_until(b'\n', &mut first).map_err(|e| ReadError::new(e.to_string()))?;
    if let Ok(keys) = serde_json::from_slice::<Keys>(&first) {
        // A complete object on the first line: one object a line, or a document on one line.
        let more = r.bytes().any(|b| b.is_ok_and(|b| !b.is_ascii_whitespace()));
        if keys.is_promptfoo_result() {
            return Ok(Format::PromptfooJsonl);
        }
        if keys.is_bundle() {
            return Ok(if more { Format::BundleLines } else { Format::Bundle });
        }
        if !more {
            return keys.document();
        }
        return Err(ReadError::at("line 1", "one JSON object a line, but neither promptfoo results nor Assay bundles"));
    }
    let (mut keys, mut decided) = (Keys(Vec::new()), false);
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file.open()?));
    match (KeysUntil { keys: &mut keys, early: true, decided: &mut decided }.deserialize(&mut de), decided) {
        (_, true) | (Ok(()), false) => keys.document(),
        (Err(e), false) => Err(ReadError::new(e.to_string())),
    }
}
