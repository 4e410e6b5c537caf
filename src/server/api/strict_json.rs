//! A JSON object that names a key twice is refused wherever it sits, and so is a string that
//! holds U+0000 (PostgreSQL's text columns cannot store it, and both backends answer alike). serde keeps the last of
//! two equal keys in a map or a `serde_json::Value` without a word, so `{"tone": 0.1,
//! "tone": 0.9}` would be stored as 0.9 and the client never told; RFC 8259 leaves the meaning
//! of such an object open. One borrowed pass over the body (keys without escapes are not
//! copied) after it parsed; serde_json's nesting limit bounds its depth as it does the parse.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Objects with more keys than this switch from a scan of a short list to a hash set.
const SCAN_UP_TO: usize = 12;

/// Any JSON value, checked for duplicate keys on the way through and then forgotten.
pub struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Check)
    }
}

struct Check;

impl<'de> Visitor<'de> for Check {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        no_nul(s)?;
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut few: Vec<Key<'de>> = Vec::with_capacity(map.size_hint().unwrap_or(8).min(SCAN_UP_TO));
        let mut many: HashSet<Key<'de>> = HashSet::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let seen = if many.is_empty() && few.len() < SCAN_UP_TO {
                few.contains(&key)
            } else {
                if many.is_empty() {
                    many.extend(few.drain(..));
                }
                many.contains(&key)
            };
            if seen {
                return Err(de::Error::custom(format_args!("duplicate key \"{}\"", key.0)));
            }
            if many.is_empty() {
                few.push(key);
            } else {
                many.insert(key);
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}

fn no_nul<E: de::Error>(s: &str) -> Result<(), E> {
    if s.contains('\0') {
        return Err(E::custom("a string holds U+0000 (NUL), which no text can store"));
    }
    Ok(())
}

/// An object key, borrowed from the body unless it had escapes to undo.
#[derive(PartialEq, Eq, Hash)]
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                no_nul(s)?;
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                no_nul(s)?;
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// `Err((path, message))` for the first object in `bytes` that repeats a key.
pub fn check(bytes: &[u8]) -> Result<(), (String, String)> {
    // The fast pass; only a body that fails it is walked again to learn the path.
    if serde_json::from_slice::<NoDuplicateKeys>(bytes).is_ok() {
        return Ok(());
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, NoDuplicateKeys>(de)
        .map(|_| ())
        .map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_found_where_it_is() {
        assert_eq!(check(br#"{"a": 1, "b": [{"c": {"d": 1, "e": 2}}], "s": "a"}"#), Ok(()));
        let (path, msg) = check(br#"{"results": [{"case_id": "x", "dims": {"tone": 0.1, "tone": 0.9}}]}"#).unwrap_err();
        assert_eq!(path, "results[0].dims");
        assert!(msg.starts_with(r#"duplicate key "tone""#), "{msg}");
        // Escapes are undone before comparing: "\u0061" is "a".
        let (path, msg) = check(br#"{"a": 1, "\u0061": 2}"#).unwrap_err();
        assert_eq!(path, ".");
        assert!(msg.contains(r#""a""#), "{msg}");
        // Past the short list, the hash set still catches it.
        let mut big: String = (0..100).map(|i| format!("\"k{i}\": {i},")).collect();
        big.push_str("\"k7\": 0");
        assert!(check(format!("{{{big}}}").as_bytes()).unwrap_err().1.contains("k7"));
        big.truncate(big.len() - "\"k7\": 0".len() - 1);
        assert_eq!(check(format!("{{{big}}}").as_bytes()), Ok(()));
        // NUL, escaped or not, in a value or a key.
        let (path, msg) = check(br#"{"a": [{"b": "x\u0000y"}]}"#).unwrap_err();
        assert_eq!((path.as_str(), msg.contains("U+0000")), ("a[0].b", true));
        assert!(check(br#"{"k\u0000": 1}"#).unwrap_err().1.contains("U+0000"));
    }
}
