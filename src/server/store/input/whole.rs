//! Whole numbers as JSON writes them: `5`, and `5.0` too — JSON Schema counts 5.0 as an
//! integer, and Python's `json` writes a float that happens to be whole that way. `5.5`, `"5"`
//! and numbers beyond 64 bits stay refused, with the field named.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};

struct Whole;

impl<'de> Visitor<'de> for Whole {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Some).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"a whole number within 64 bits"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 2^63 is exactly representable; anything at or past it does not fit.
        if v.fract() == 0.0 && v >= -9_223_372_036_854_775_808.0 && v < 9_223_372_036_854_775_808.0 {
            Ok(Some(v as i64))
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Whole)
    }
}

/// For `Option<i64>` fields: `#[serde(default, deserialize_with = "json_int::opt")]`.
pub fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Whole)
}

/// For required `i64` fields.
pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(Whole)?.ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"a whole number"))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "super::opt")]
        n: Option<i64>,
    }

    fn n(json: &str) -> Result<Option<i64>, String> {
        serde_json::from_str::<T>(json).map(|t| t.n).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_any_spelling_and_nothing_else() {
        assert_eq!(n(r#"{"n": 5}"#), Ok(Some(5)));
        assert_eq!(n(r#"{"n": 5.0}"#), Ok(Some(5)));
        assert_eq!(n(r#"{"n": -2e3}"#), Ok(Some(-2000)));
        assert_eq!(n(r#"{"n": null}"#), Ok(None));
        assert_eq!(n(r#"{}"#), Ok(None));
        assert_eq!(n(r#"{"n": -9223372036854775808}"#), Ok(Some(i64::MIN)));
        assert!(n(r#"{"n": 5.5}"#).unwrap_err().contains("expected a whole number"));
        assert!(n(r#"{"n": "5"}"#).unwrap_err().contains("invalid type: string"));
        assert!(n(r#"{"n": 9223372036854775808}"#).unwrap_err().contains("within 64 bits"));
        assert!(n(r#"{"n": 9.3e18}"#).is_err());
    }
}
