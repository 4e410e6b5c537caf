//! The one merge join of a comparison: the union of several runs' case lists (each ordered by
//! case id, byte order), as one row per case id holding the case's index in each run.

use super::CaseAgg;

/// The union of N runs' cases: `rows()` yields, per case id in byte order, one slot per run —
/// the index of the case in that run, `None` where the run lacks it. Stored flat (one
/// allocation, `width` slots a row).
#[derive(Clone, Debug, PartialEq)]
pub struct CaseUnion {
    width: usize,
    slots: Vec<Option<u32>>,
}

impl CaseUnion {
    /// Merge-join the runs' case lists, each ordered by case id (byte order) without repeats.
    pub fn of(runs: &[&[CaseAgg]]) -> CaseUnion {
        let width = runs.len();
        let longest = runs.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut slots = Vec::with_capacity(longest * width);
        let mut pos = vec![0usize; width];
        loop {
            // The smallest case id under the runs' cursors.
            let mut min: Option<&str> = None;
            for (run, &p) in runs.iter().zip(&pos) {
                if let Some(c) = run.get(p) {
                    if min.is_none_or(|m| c.case_id.as_bytes() < m.as_bytes()) {
                        min = Some(&c.case_id);
                    }
                }
            }
            let Some(min) = min else {
                return CaseUnion { width, slots };
            };
            for (run, p) in runs.iter().zip(pos.iter_mut()) {
                slots.push(match run.get(*p) {
                    Some(c) if c.case_id == min => {
                        *p += 1;
                        Some((*p - 1) as u32)
                    }
                    _ => None,
                });
            }
        }
    }

    /// Case ids in the union.
    pub fn len(&self) -> usize {
        if self.width == 0 {
            0
        } else {
            self.slots.len() / self.width
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// One row per case id, in byte order: the case's index in each run.
    pub fn rows(&self) -> impl Iterator<Item = &[Option<u32>]> + '_ {
        self.slots.chunks_exact(self.width.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{test_cases as cases, test_row as row};
    use super::*;
    use crate::domain::ResultStatus::Ok;

    fn ids(list: &[&str]) -> Vec<CaseAgg> {
        cases(
            list.iter()
                .map(|id| row(id, 1, Ok, Some(1.0), 0.0))
                .collect(),
        )
        .cases
    }

    #[test]
    fn the_union_pairs_equal_ids_in_byte_order() {
        let a = ids(&["b", "d", "e"]);
        let b = ids(&["a", "b", "e", "f"]);
        let c = ids(&["Z", "e"]);
        let u = CaseUnion::of(&[&a[..], &b[..], &c[..]]);
        let rows: Vec<Vec<Option<u32>>> = u.rows().map(|r| r.to_vec()).collect();
        assert_eq!(
            rows,
            [
                vec![None, None, Some(0)],       // "Z" sorts before lower case
                vec![None, Some(0), None],       // a
                vec![Some(0), Some(1), None],    // b
                vec![Some(1), None, None],       // d
                vec![Some(2), Some(2), Some(1)], // e
                vec![None, Some(3), None],       // f
            ]
        );
        assert_eq!(u.len(), 6);
        let empty: &[CaseAgg] = &[];
        let two = CaseUnion::of(&[&a[..], empty]);
        assert_eq!(
            two.rows().map(|r| r[0]).collect::<Vec<_>>(),
            [Some(0), Some(1), Some(2)]
        );
        assert!(two.rows().all(|r| r[1].is_none()));
        let none = CaseUnion::of(&[empty, empty]);
        assert!(none.is_empty() && none.rows().next().is_none());
    }
}
