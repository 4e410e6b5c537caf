//! Reading PostgreSQL's binary `COPY … TO STDOUT (FORMAT binary)` output: many rows as one byte
//! stream, decoded in place, for the few reads that move tens of thousands of rows (decoding
//! each row as a separate sqlx `PgRow` costs microseconds a row; `array_agg` costs PostgreSQL
//! as much). Format: <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>.

use futures::TryStreamExt;
use sqlx::PgConnection;

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("binary COPY: {what}"))
}

/// Run `COPY (query) TO STDOUT (FORMAT binary)` and return its bytes.
pub async fn copy_out(conn: &mut PgConnection, query: &str) -> Result<Vec<u8>, sqlx::Error> {
    let mut stream = conn
        .copy_out_raw(&format!("COPY ({query}) TO STDOUT (FORMAT binary)"))
        .await?;
    let mut data = Vec::new();
    while let Some(chunk) = stream.try_next().await? {
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// The tuples of a binary COPY.
pub struct Tuples<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Tuples<'a> {
    pub fn new(data: &'a [u8]) -> Result<Self, sqlx::Error> {
        if data.len() < 19 || &data[..11] != SIGNATURE {
            return Err(bad("no signature"));
        }
        let ext = i32::from_be_bytes(data[15..19].try_into().expect("4 bytes")) as usize;
        Ok(Tuples {
            data,
            pos: 19 + ext,
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], sqlx::Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| bad("truncated"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next tuple's fields (None for SQL NULL), or None after the last tuple. `fields` is
    /// reused between calls.
    pub fn next_into(&mut self, fields: &mut Vec<Option<&'a [u8]>>) -> Result<bool, sqlx::Error> {
        let n = i16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes"));
        if n < 0 {
            return Ok(false);
        }
        fields.clear();
        for _ in 0..n {
            let len = i32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes"));
            fields.push(if len < 0 {
                None
            } else {
                Some(self.take(len as usize)?)
            });
        }
        Ok(true)
    }
}

/// An `int8` field.
pub fn int8(f: Option<&[u8]>) -> Result<i64, sqlx::Error> {
    Ok(i64::from_be_bytes(
        f.ok_or_else(|| bad("NULL int8"))?
            .try_into()
            .map_err(|_| bad("int8 size"))?,
    ))
}

/// A `float8` field (None for NULL).
pub fn float8(f: Option<&[u8]>) -> Result<Option<f64>, sqlx::Error> {
    f.map(|b| {
        b.try_into()
            .map(f64::from_be_bytes)
            .map_err(|_| bad("float8 size"))
    })
    .transpose()
}

/// A `text` field (None for NULL); invalid UTF-8 is replaced.
pub fn text(f: Option<&[u8]>) -> Option<std::borrow::Cow<'_, str>> {
    f.map(String::from_utf8_lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_decode_and_truncation_is_an_error() {
        let mut d = SIGNATURE.to_vec();
        d.extend_from_slice(&0i32.to_be_bytes());
        d.extend_from_slice(&0i32.to_be_bytes());
        // (42, 'hé', NULL, 0.5)
        d.extend_from_slice(&4i16.to_be_bytes());
        d.extend_from_slice(&8i32.to_be_bytes());
        d.extend_from_slice(&42i64.to_be_bytes());
        d.extend_from_slice(&3i32.to_be_bytes());
        d.extend_from_slice("hé".as_bytes());
        d.extend_from_slice(&(-1i32).to_be_bytes());
        d.extend_from_slice(&8i32.to_be_bytes());
        d.extend_from_slice(&0.5f64.to_be_bytes());
        d.extend_from_slice(&(-1i16).to_be_bytes());
        let mut t = Tuples::new(&d).unwrap();
        let mut f = Vec::new();
        assert!(t.next_into(&mut f).unwrap());
        assert_eq!(int8(f[0]).unwrap(), 42);
        assert_eq!(text(f[1]).as_deref(), Some("hé"));
        assert_eq!(text(f[2]), None);
        assert_eq!(float8(f[3]).unwrap(), Some(0.5));
        assert!(!t.next_into(&mut f).unwrap());
        let cut = &d[..d.len() - 6];
        let mut t = Tuples::new(cut).unwrap();
        assert!(t.next_into(&mut f).is_err());
        assert!(Tuples::new(b"nope").is_err());
    }
}
