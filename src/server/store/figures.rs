//! Figures derived from a finished run (its charts as SVG), kept in memory per store: a finished
//! run is immutable, so each is drawn once. Keyed by run id and figure name; a deleted run's
//! figures are dropped (SQLite reuses the highest rowid).

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many figures are kept; when full the cache starts over (cheap next to drawing).
const CAP: usize = 2048;

#[derive(Debug, Default)]
pub(crate) struct Figures {
    map: Mutex<HashMap<(i64, &'static str), String>>,
}

impl Figures {
    fn get(&self, run_id: i64, name: &'static str) -> Option<String> {
        self.map.lock().expect("figure cache").get(&(run_id, name)).cloned()
    }

    fn put(&self, run_id: i64, name: &'static str, svg: String) {
        let mut m = self.map.lock().expect("figure cache");
        if m.len() >= CAP {
            m.clear();
        }
        m.insert((run_id, name), svg);
    }

    pub fn forget(&self, run_id: i64) {
        self.map.lock().expect("figure cache").retain(|(id, _), _| *id != run_id);
    }
}

impl super::Store {
    /// The figure `name` of run `run_id`: drawn once when the run is `finished`, else drawn fresh.
    pub async fn figure<F, Fut, E>(&self, run_id: i64, name: &'static str, finished: bool, draw: F) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        if finished {
            if let Some(svg) = self.figures.get(run_id, name) {
                return Ok(svg);
            }
        }
        let svg = draw().await?;
        if finished {
            self.figures.put(run_id, name, svg.clone());
        }
        Ok(svg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_kept_per_run_and_forgotten_with_it() {
        let f = Figures::default();
        f.put(1, "dims", "a".into());
        f.put(2, "dims", "b".into());
        assert_eq!(f.get(1, "dims").as_deref(), Some("a"));
        f.forget(1);
        assert_eq!(f.get(1, "dims"), None);
        assert_eq!(f.get(2, "dims").as_deref(), Some("b"));
    }
}
