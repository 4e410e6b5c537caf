//! How far an import has read into its file, for the command's progress bars: a reader that
//! reports its position as it goes, and the callback it reports to. Readers report only the pass
//! that reads the results (a zip's members, a JSON document's results array, a `.jsonl`'s second
//! pass), so the position only moves forward.

use std::io::Read;
use std::sync::Arc;

/// Called with a byte offset into the file being imported.
pub type OnProgress = Arc<dyn Fn(u64) + Send + Sync>;

/// Report at most every this many bytes: a bar needs no finer steps.
const STEP: u64 = 256 << 10;

/// A reader that reports how many bytes it has read (every [`STEP`] and at the end).
pub struct Tracked<R> {
    inner: R,
    pos: u64,
    reported: u64,
    on: Option<OnProgress>,
}

impl<R> Tracked<R> {
    pub fn new(inner: R, on: Option<OnProgress>) -> Self {
        Tracked { inner, pos: 0, reported: 0, on }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        if let Some(on) = &self.on {
            if (n == 0 && self.pos > self.reported) || self.pos - self.reported >= STEP {
                self.reported = self.pos;
                on(self.pos);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn reports_in_steps_and_at_the_end() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let data = vec![7u8; (STEP as usize) * 2 + 10];
        let mut r = Tracked::new(&data[..], Some(Arc::new(move |p| s.lock().unwrap().push(p))));
        let mut out = Vec::new();
        let mut buf = vec![0u8; 4096];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, data, "the bytes pass through unchanged");
        assert_eq!(r.read(&mut buf).unwrap(), 0, "another read at the end");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, vec![STEP, 2 * STEP, data.len() as u64], "every step, then the end, once");
    }
}
