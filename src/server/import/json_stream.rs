//! Streaming over one array deep inside a large JSON document (an Inspect log's `samples`, a
//! promptfoo export's `results.results`): each element is deserialized and handed on alone, the
//! rest of the document skipped, so the file is never held as one value.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::emit::{Fail, ReadError};

type Each<'a, T> = dyn FnMut(usize, T) -> Result<(), Fail> + 'a;

struct AtPath<'p, 'e, 'f, T> {
    path: &'p [&'p str],
    each: &'e mut Each<'f, T>,
    stop: &'e mut Option<Fail>,
    found: &'e mut bool,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for AtPath<'_, '_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            d.deserialize_seq(self)
        } else {
            d.deserialize_map(self)
        }
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for AtPath<'_, '_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str("an array")
        } else {
            f.write_str("an object")
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let AtPath { path, each, stop, found } = self;
        while let Some(key) = map.next_key::<String>()? {
            if key == path[0] && !*found {
                map.next_value_seed(AtPath { path: &path[1..], each: &mut *each, stop: &mut *stop, found: &mut *found })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        *self.found = true;
        let mut i = 0;
        while let Some(item) = seq.next_element::<T>()? {
            if let Err(f) = (self.each)(i, item) {
                *self.stop = Some(f);
                return Err(serde::de::Error::custom("stopped"));
            }
            i += 1;
        }
        Ok(())
    }
}

/// Call `each` with every element of the array at `path` (object keys from the top level) of the
/// JSON document in `reader`. Returns whether the array was there. A malformed element fails with
/// its JSON path (`samples[3].scores.match`).
pub fn stream_array<T: DeserializeOwned>(reader: impl Read, path: &[&str], each: &mut Each<'_, T>) -> Result<bool, Fail> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    let mut track = serde_path_to_error::Track::new();
    let mut stop = None;
    let mut found = false;
    let res = AtPath { path, each, stop: &mut stop, found: &mut found }
        .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .and_then(|_| de.end());
    match (res, stop) {
        (_, Some(f)) => Err(f),
        (Ok(()), None) => Ok(found),
        (Err(e), None) => {
            let where_ = track.path().to_string();
            Err(Fail::Bad(if where_.is_empty() || where_ == "." {
                ReadError::new(e.to_string())
            } else {
                ReadError::at(where_, e.to_string())
            }))
        }
    }
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
    }

    #[test]
    fn the_callback_can_stop_the_stream() {
        let r = stream_array::<Item>(r#"{"s": [{"n": 1}, {"n": 2}]}"#.as_bytes(), &["s"], &mut |_, _| Err(Fail::Stopped));
        assert!(matches!(r, Err(Fail::Stopped)));
    }
}
