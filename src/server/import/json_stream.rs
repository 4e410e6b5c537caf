//! Streaming over one array deep inside a large JSON document (an Inspect log's `samples`, a
//! promptfoo export's `results.results`): each element is deserialized and handed on alone, the
//! rest of the document skipped, so the file is never held as one value; and whole documents
//! (headers that skip the big arrays).

use std::io::Read;

use serde::de::DeserializeOwned;

use super::emit::{Fail, ReadError};
use super::json_split::{split_array, SplitError};

type Each<'a, T> = dyn FnMut(usize, T) -> Result<(), Fail> + 'a;

/// Call `each` with every element of the array at `path` (object keys from the top level) of the
/// JSON document in `reader`. Returns whether the array was there. A malformed element fails with
/// its JSON path (`samples[3].scores.match`). The elements are found by `json_split` and parsed
/// one by one from memory; the document after the array is not read.
pub fn stream_array<T: DeserializeOwned>(reader: impl Read, path: &[&str], each: &mut Each<'_, T>) -> Result<bool, Fail> {
    let base = path.join(".");
    let found = split_array(reader, path, &mut |i, bytes| {
        let located = |inner: String, e: serde_json::Error| {
            // serde_path_to_error ends a path it could not follow (bad syntax) with `?`.
            let at = match inner.trim_end_matches('?').trim_end_matches('.') {
                "" | "." => format!("{base}[{i}]"),
                p if p.starts_with('[') => format!("{base}[{i}]{p}"),
                p => format!("{base}[{i}].{p}"),
            };
            Fail::Bad(ReadError::at(at, e.to_string()))
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let item: T = serde_path_to_error::deserialize(&mut de).map_err(|e| located(e.path().to_string(), e.into_inner()))?;
        de.end().map_err(|e| located(String::new(), e))?;
        each(i, item)
    });
    found.map_err(|e| match e {
        SplitError::Stopped(f) => f,
        SplitError::Syntax(m) => Fail::Bad(ReadError::new(m)),
        SplitError::Io(m) => Fail::Bad(ReadError::new(format!("cannot read: {m}"))),
    })
}

/// Deserialize a whole document (a header that skips the big arrays) with the path of any bad value.
pub fn read_doc<T: DeserializeOwned>(reader: impl Read) -> Result<T, ReadError> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let where_ = e.path().to_string();
        let inner = e.into_inner();
        if where_.is_empty() || where_ == "." {
            ReadError::new(inner.to_string())
        } else {
            ReadError::at(where_, inner.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Item {
        n: i64,
    }

    fn collect(doc: &str, path: &[&str]) -> Result<(bool, Vec<(usize, i64)>), Fail> {
        let mut seen = Vec::new();
        let found = stream_array::<Item>(doc.as_bytes(), path, &mut |i, it| {
            seen.push((i, it.n));
            Ok(())
        })?;
        Ok((found, seen))
    }

    #[test]
    fn streams_the_nested_array_and_skips_the_rest() {
        let doc = r#"{"a": [1, 2], "results": {"big": {"x": [1]}, "results": [{"n": 1}, {"n": 2, "extra": [true]}]}, "z": 3}"#;
        assert_eq!(collect(doc, &["results", "results"]).unwrap(), (true, vec![(0, 1), (1, 2)]));
        assert_eq!(collect(r#"{"results": {"other": []}}"#, &["results", "results"]).unwrap(), (false, vec![]));
    }

    #[test]
    fn a_bad_element_names_its_path() {
        let Err(Fail::Bad(e)) = collect(r#"{"samples": [{"n": 1}, {"n": "x"}]}"#, &["samples"]) else { panic!() };
        assert_eq!(e.location.as_deref(), Some("samples[1].n"));
        let Err(Fail::Bad(e)) = collect(r#"{"samples": [{"n": 1}"#, &["samples"]) else { panic!() };
        assert!(e.message.contains("EOF"), "{}", e.message);
        let Err(Fail::Bad(e)) = collect(r#"{"samples": [{"n": 1}, {"n": 2]]}"#, &["samples"]) else { panic!() };
        assert_eq!(e.location.as_deref(), Some("samples[1]"), "an element's own syntax: {}", e.message);
        let Err(Fail::Bad(e)) = collect(r#"{"samples": [{"n": 1} {"n": 2}]}"#, &["samples"]) else { panic!() };
        assert_eq!(e.location.as_deref(), Some("samples[0]"), "two values without a comma: {}", e.message);
    }

    #[test]
    fn the_callback_can_stop_the_stream() {
        let r = stream_array::<Item>(r#"{"s": [{"n": 1}, {"n": 2}]}"#.as_bytes(), &["s"], &mut |_, _| Err(Fail::Stopped));
        assert!(matches!(r, Err(Fail::Stopped)));
    }
}
