//! The elements of one array deep in a large JSON document, as byte slices, found by a scanner
//! that follows only strings, nesting and the object keys on the way there — so each element can
//! be parsed with serde_json's `from_slice`, several times faster than serde_json reading the
//! whole document through `io::Read` byte by byte. The scanner checks the structure around the
//! elements (separators, nesting, the end of the file); each element's own syntax is checked by
//! the parse that follows. It stops at the end of the array: the rest of the document is not read.

use std::io::Read;

/// Read this much at a time.
const CHUNK: usize = 1 << 16;

/// Why the scan stopped without reaching the array's end.
#[derive(Debug, PartialEq)]
pub enum SplitError<E> {
    /// The callback refused an element.
    Stopped(E),
    /// The document is not well-formed around the elements (or the file ended early).
    Syntax(String),
    Io(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Frame {
    /// An object: whether a key comes next (else a value), and whether its current key is the
    /// path's step at its depth (with every frame below on the path too).
    Object { key_next: bool, on_path: bool },
    Array,
}

/// Where the scan is inside the target array's current element (only strings and nesting
/// matter there: the element's separator is a `,` or `]` at depth 0 outside strings).
#[derive(Default)]
struct InElement {
    depth: usize,
    string: bool,
    escaped: bool,
}

struct Scanner<'p> {
    path: &'p [&'p str],
    /// The containers open on the way to the target array (not those inside its elements).
    stack: Vec<Frame>,
    /// Inside a string outside the target: (escape pending, capturing a key on the path).
    string: Option<(bool, bool)>,
    key: Vec<u8>,
    /// Inside the target array (its frame is the top of `stack`).
    target: bool,
    at: InElement,
    elem: Vec<u8>,
    index: usize,
}

impl<'p> Scanner<'p> {
    /// Whether every frame is an object whose current key is the path's step at its depth.
    fn on_path(&self) -> bool {
        self.stack.len() <= self.path.len() && self.stack.last().is_none_or(|f| matches!(f, Frame::Object { on_path: true, .. }))
    }

    /// A value starts here (a container, a string, a scalar): in an object that had its key, the
    /// next thing is a key again after this value.
    fn value_starts(&mut self) {
        if let Some(Frame::Object { key_next, .. }) = self.stack.last_mut() {
            *key_next = true;
        }
    }

    fn emit<E>(&mut self, each: &mut dyn FnMut(usize, &[u8]) -> Result<(), E>) -> Result<(), SplitError<E>> {
        let e = self.elem.trim_ascii();
        if e.is_empty() {
            return Err(SplitError::Syntax(format!("an empty element at {}", self.where_())));
        }
        each(self.index, e).map_err(SplitError::Stopped)?;
        self.index += 1;
        self.elem.clear();
        Ok(())
    }

    fn where_(&self) -> String {
        format!("{}[{}]", self.path.join("."), self.index)
    }

    /// Scan `buf` inside the target array from its start: the bytes of elements are gathered and
    /// handed to `each` at each separator. Returns how much was used, and whether the array closed.
    fn elements<E>(&mut self, buf: &[u8], each: &mut dyn FnMut(usize, &[u8]) -> Result<(), E>) -> Result<(usize, bool), SplitError<E>> {
        let mut j = 0;
        while j < buf.len() {
            let at = &mut self.at;
            if at.escaped {
                at.escaped = false;
                j += 1;
                continue;
            }
            if at.string {
                // Straight to the string's next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &buf[j..]) {
                    None => j = buf.len(),
                    Some(k) => {
                        j += k;
                        if buf[j] == b'\\' {
                            at.escaped = true;
                        } else {
                            at.string = false;
                        }
                        j += 1;
                    }
                }
                continue;
            }
            let b = buf[j];
            match b {
                b'"' => at.string = true,
                b'{' | b'[' => at.depth += 1,
                b'}' | b']' if at.depth > 0 => at.depth -= 1,
                b',' if at.depth > 0 => {}
                b',' | b']' | b'}' => {
                    // A separator, the array's end, or a stray brace at depth 0.
                    self.elem.extend_from_slice(&buf[..j]);
                    return match b {
                        b',' => self.emit(each).map(|_| (j + 1, false)),
                        b']' => {
                            // The last element, unless the array was empty.
                            if !self.elem.trim_ascii().is_empty() || self.index > 0 {
                                self.emit(each)?;
                            }
                            Ok((j + 1, true))
                        }
                        _ => Err(SplitError::Syntax(format!("a '}}' closing the array at {}", self.path.join(".")))),
                    };
                }
                _ => {}
            }
            j += 1;
        }
        self.elem.extend_from_slice(buf);
        Ok((buf.len(), false))
    }

    /// One byte outside strings, before the target array.
    fn structural<E>(&mut self, b: u8) -> Result<(), SplitError<E>> {
        match b {
            b'"' => {
                let is_key = matches!(self.stack.last(), Some(Frame::Object { key_next: true, .. }));
                let capture = is_key && self.stack.len() <= self.path.len() && {
                    // Below the top frame every frame is on the path.
                    let below = &self.stack[..self.stack.len() - 1];
                    below.iter().all(|f| matches!(f, Frame::Object { on_path: true, .. }))
                };
                if is_key {
                    self.key.clear();
                } else {
                    self.value_starts();
                }
                self.string = Some((false, capture));
            }
            b':' => {
                if let Some(Frame::Object { key_next, .. }) = self.stack.last_mut() {
                    *key_next = false;
                }
            }
            b'{' | b'[' => {
                let opens_target = b == b'['
                    && self.stack.len() == self.path.len()
                    && self.on_path()
                    && !matches!(self.stack.last(), Some(Frame::Object { key_next: true, .. }));
                self.value_starts();
                self.stack.push(if b == b'{' { Frame::Object { key_next: true, on_path: false } } else { Frame::Array });
                self.target = opens_target;
            }
            b'}' | b']' => {
                let frame = self.stack.pop().ok_or_else(|| SplitError::Syntax(format!("an unmatched '{}'", b as char)))?;
                if matches!((frame, b), (Frame::Object { .. }, b']') | (Frame::Array, b'}')) {
                    return Err(SplitError::Syntax(format!("a '{}' closing the wrong bracket", b as char)));
                }
            }
            b',' => {}
            b if b.is_ascii_whitespace() => {}
            _ => {
                // A number or literal: in an object, the key comes next after it.
                if matches!(self.stack.last(), Some(Frame::Object { key_next: false, .. })) {
                    self.value_starts();
                }
            }
        }
        Ok(())
    }

    /// One byte of a string before the target array.
    fn in_string(&mut self, b: u8, escaped: bool, capture: bool) {
        let end = !escaped && b == b'"';
        self.string = if end { None } else { Some((!escaped && b == b'\\', capture)) };
        if capture && !end {
            self.key.push(b);
        }
        if end && capture {
            self.key_done();
        }
    }

    /// The key just read: is it the path's step at this depth?
    fn key_done(&mut self) {
        let depth = self.stack.len() - 1;
        let key = if self.key.contains(&b'\\') {
            let mut quoted = Vec::with_capacity(self.key.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(&self.key);
            quoted.push(b'"');
            serde_json::from_slice::<String>(&quoted).ok()
        } else {
            std::str::from_utf8(&self.key).ok().map(str::to_string)
        };
        let hit = key.is_some_and(|k| self.path.get(depth).is_some_and(|p| *p == k));
        if let Some(Frame::Object { on_path, .. }) = self.stack.last_mut() {
            *on_path = hit;
        }
    }
}

/// Call `each` with the bytes of every element of the array at `path` (object keys from the top
/// level; empty: the document is the array) and its index. Returns whether the array was there.
pub fn split_array<E>(
    mut reader: impl Read,
    path: &[&str],
    each: &mut dyn FnMut(usize, &[u8]) -> Result<(), E>,
) -> Result<bool, SplitError<E>> {
    let mut s = Scanner {
        path,
        stack: Vec::new(),
        string: None,
        key: Vec::new(),
        target: false,
        at: InElement::default(),
        elem: Vec::new(),
        index: 0,
    };
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(SplitError::Io(e.to_string())),
        };
        let mut i = 0;
        while i < n {
            if s.target {
                let (used, closed) = s.elements(&buf[i..n], each)?;
                if closed {
                    return Ok(true);
                }
                i += used;
                continue;
            }
            let b = buf[i];
            match s.string {
                Some((escaped, capture)) => s.in_string(b, escaped, capture),
                None => s.structural(b)?,
            }
            i += 1;
        }
    }
    if s.target {
        return Err(SplitError::Syntax(format!("EOF while parsing the array at {}", s.where_())));
    }
    if s.string.is_some() || !s.stack.is_empty() {
        return Err(SplitError::Syntax("EOF while parsing the document".into()));
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(doc: &str, path: &[&str]) -> Result<(bool, Vec<String>), SplitError<()>> {
        let mut seen = Vec::new();
        let found = split_array(doc.as_bytes(), path, &mut |i, e| {
            assert_eq!(i, seen.len());
            seen.push(String::from_utf8(e.to_vec()).unwrap());
            Ok(())
        })?;
        Ok((found, seen))
    }

    #[test]
    fn elements_of_a_nested_array() {
        let doc = r#"{"a": [1, {"results": [9]}], "results": {"big": {"results": [1]}, "s": "results\"]", "results": [ {"n": 1, "s": "a,]}"} , [2, 3], "x", 4 ]}, "z": 3}"#;
        let (found, seen) = split(doc, &["results", "results"]).unwrap();
        assert!(found);
        assert_eq!(seen, vec![r#"{"n": 1, "s": "a,]}"}"#, "[2, 3]", r#""x""#, "4"]);
        let (_, seen) = split(r#"["a,]\"", "b"]"#, &[]).unwrap();
        assert_eq!(seen, vec![r#""a,]\"""#, r#""b""#], "separators and escapes inside string elements");
    }

    #[test]
    fn the_top_level_array_and_empty_or_missing_arrays() {
        assert_eq!(split(r#" [{"a": 1}, {"b": [2]}] "#, &[]).unwrap(), (true, vec![r#"{"a": 1}"#.into(), r#"{"b": [2]}"#.into()]));
        assert_eq!(split(r#"{"s": []}"#, &["s"]).unwrap(), (true, vec![]));
        assert_eq!(split(r#"{"t": [1], "s": 5}"#, &["s"]).unwrap(), (false, vec![]));
        assert_eq!(split(r#"{"x": {"s": [1]}}"#, &["s"]).unwrap(), (false, vec![]), "only at the path's depth");
    }

    #[test]
    fn keys_with_escapes_and_keys_that_look_like_values() {
        let doc = r#"{"k": "s", "\u0073": [1, 2]}"#;
        assert_eq!(split(doc, &["s"]).unwrap(), (true, vec!["1".into(), "2".into()]));
        let doc = r#"{"a": "s", "b": ["s"], "s": [true]}"#;
        assert_eq!(split(doc, &["s"]).unwrap(), (true, vec!["true".into()]));
    }

    #[test]
    fn broken_structure_is_refused() {
        assert!(matches!(split(r#"{"s": [1, 2"#, &["s"]), Err(SplitError::Syntax(m)) if m.contains("EOF")));
        assert!(matches!(split(r#"{"s": [1, , 2]}"#, &["s"]), Err(SplitError::Syntax(m)) if m.contains("empty element at s[1]")));
        assert!(matches!(split(r#"{"s": [1, 2,]}"#, &["s"]), Err(SplitError::Syntax(_))));
        assert!(matches!(split(r#"{"t": {"a": 1], "s": [1]}"#, &["s"]), Err(SplitError::Syntax(m)) if m.contains("wrong bracket")));
        assert!(matches!(split(r#"{"s": [1}"#, &["s"]), Err(SplitError::Syntax(m)) if m.contains("'}' closing the array")));
        // Inside an element only nesting is followed: its own syntax is for the parse after.
        assert_eq!(split(r#"{"s": [{"a": 1]]}"#, &["s"]).unwrap(), (true, vec![r#"{"a": 1]"#.into()]));
        assert!(matches!(split(r#"{"s": ["abc"#, &["s"]), Err(SplitError::Syntax(_))));
        assert!(matches!(split(r#"{"t": {"u": 1"#, &["s"]), Err(SplitError::Syntax(m)) if m.contains("EOF")), "a cut document");
    }

    /// A reader handing out a few bytes at a time: every state must survive a refill.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn any_read_size_gives_the_same_elements() {
        let doc = r#"{"k\"ey": "v\\", "s": [{"t": "a\"],\\", "u": [1, {"v": "}"}]}, "\"", 12.5e3, null ]}"#;
        let (_, whole) = split(doc, &["s"]).unwrap();
        assert_eq!(whole, vec![r#"{"t": "a\"],\\", "u": [1, {"v": "}"}]}"#, r#""\"""#, "12.5e3", "null"]);
        for step in 1..8 {
            let mut seen = Vec::new();
            split_array::<()>(Trickle(doc.as_bytes(), step), &["s"], &mut |_, e| {
                seen.push(String::from_utf8(e.to_vec()).unwrap());
                Ok(())
            })
            .unwrap();
            assert_eq!(seen, whole, "read {step} bytes at a time");
        }
    }

    #[test]
    fn the_callback_stops_the_scan() {
        let r = split_array(r#"[1, 2, 3]"#.as_bytes(), &[], &mut |i, _| if i == 1 { Err("no") } else { Ok(()) });
        assert_eq!(r, Err(SplitError::Stopped("no")));
    }
}
