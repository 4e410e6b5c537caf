//! Reports of two finished runs, kept: a finished run never changes, so the comparison of a pair
//! is computed once and shared, and concurrent identical requests wait for that one computation
//! instead of each loading two 50,000-result runs. A few reports at most (each is megabytes);
//! a deleted run's reports are dropped (SQLite hands its id out again).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::model::CompareReport;

/// Reports kept at once.
const CAP: usize = 4;

/// `(a, b, epsilon bits or u64::MAX for the default, case dimensions)`.
pub(crate) type Key = (i64, i64, u64, bool);

type Cell = Arc<OnceCell<Arc<CompareReport>>>;

#[derive(Debug, Default)]
pub(crate) struct Reports {
    inner: Mutex<(HashMap<Key, Cell>, VecDeque<Key>)>,
}

impl Reports {
    /// The cell of `key`, made (and the oldest dropped past the cap) if it is not there.
    pub fn cell(&self, key: Key) -> Cell {
        let mut g = self.inner.lock().expect("compare cache");
        let (map, order) = &mut *g;
        if let Some(c) = map.get(&key) {
            return c.clone();
        }
        let c = Cell::default();
        map.insert(key, c.clone());
        order.push_back(key);
        while order.len() > CAP {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
        c
    }

    pub fn forget(&self, run_id: i64) {
        let mut g = self.inner.lock().expect("compare cache");
        let (map, order) = &mut *g;
        map.retain(|k, _| k.0 != run_id && k.1 != run_id);
        order.retain(|k| k.0 != run_id && k.1 != run_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shared_capped_and_forgotten_with_their_runs() {
        let r = Reports::default();
        let a = r.cell((1, 2, u64::MAX, false));
        assert!(Arc::ptr_eq(&a, &r.cell((1, 2, u64::MAX, false))), "one cell per key");
        for b in 3..3 + CAP as i64 {
            r.cell((1, b, u64::MAX, false));
        }
        assert!(!Arc::ptr_eq(&a, &r.cell((1, 2, u64::MAX, false))), "the oldest went past the cap");
        let c = r.cell((7, 8, 0, true));
        r.forget(8);
        assert!(!Arc::ptr_eq(&c, &r.cell((7, 8, 0, true))));
    }
}
