//! The rows of the pairwise case table as the page shows them: kept by flag, ordered by the
//! sort the URL asks for, and what each sortable column header links to.

use std::cmp::Ordering;

use crate::model::compare::{CaseFlag, CompareCase};
use crate::model::compare_query::CaseSort;

/// Keep the rows carrying one of `flags` (a score or a cost flag; none: every row) and order
/// them: `Delta` the worst regressions first with one-sided and missing cases after,
/// `DeltaDesc` the reverse (missing still after), `Cost` the biggest cost increase first,
/// `Case` by case id. Ties go by case id.
pub fn filter_and_sort(rows: &mut Vec<CompareCase>, flags: &[CaseFlag], sort: CaseSort) {
    if !flags.is_empty() {
        rows.retain(|r| flags.iter().any(|f| f.matches(r)));
    }
    let by_delta = |x: &CompareCase, y: &CompareCase, desc: bool| {
        match (x.delta, y.delta) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                if desc {
                    o.reverse()
                } else {
                    o
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then_with(|| x.case_id.cmp(&y.case_id))
    };
    match sort {
        CaseSort::Case => rows.sort_by(|x, y| x.case_id.cmp(&y.case_id)),
        CaseSort::DeltaDesc => rows.sort_by(|x, y| by_delta(x, y, true)),
        CaseSort::Cost => rows.sort_by(|x, y| {
            y.cost_delta
                .partial_cmp(&x.cost_delta)
                .unwrap_or(Ordering::Equal)
                .then_with(|| x.case_id.cmp(&y.case_id))
        }),
        CaseSort::Delta => rows.sort_by(|x, y| by_delta(x, y, false)),
    }
}

/// What the header of `column` (sorting by `Case`, `Delta` or `Cost`) links to while the table
/// is sorted by `current`, and the arrow it shows: Δ flips between worst and best first; the
/// other columns sort one way.
pub fn sort_toggle(current: CaseSort, column: CaseSort) -> (CaseSort, &'static str) {
    match (column, current) {
        (CaseSort::Delta, CaseSort::Delta) => (CaseSort::DeltaDesc, " ↑"),
        (CaseSort::Delta, CaseSort::DeltaDesc) => (CaseSort::Delta, " ↓"),
        (c, cur) if c == cur => (c, " ↓"),
        (c, _) => (c, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::compare::{CostFlag, Flag};

    fn case(
        id: &str,
        delta: Option<f64>,
        flag: Flag,
        cost_flag: CostFlag,
        cost_delta: f64,
    ) -> CompareCase {
        CompareCase {
            case_id: id.into(),
            case_label: id.into(),
            score_a: None,
            score_b: None,
            delta,
            flag,
            status_a: None,
            status_b: None,
            verdict_a: None,
            verdict_b: None,
            epochs_a: 1,
            epochs_b: 1,
            cost_a: 0.0,
            cost_b: 0.0,
            cost_delta,
            cost_flag,
            dimensions: vec![],
        }
    }

    #[test]
    fn rows_sort_worst_first_and_filter_by_either_flag() {
        let rows = vec![
            case("a", Some(0.2), Flag::Improved, CostFlag::CostUnchanged, 0.0),
            case(
                "b",
                Some(-0.5),
                Flag::Regressed,
                CostFlag::CostRegressed,
                0.3,
            ),
            case("c", None, Flag::MissingB, CostFlag::CostImproved, -0.1),
            case(
                "d",
                Some(-0.1),
                Flag::Regressed,
                CostFlag::CostUnchanged,
                0.0,
            ),
            case(
                "e",
                Some(0.0),
                Flag::Unchanged,
                CostFlag::CostRegressed,
                0.1,
            ),
        ];
        let ids = |rows: &[CompareCase]| rows.iter().map(|r| r.case_id.clone()).collect::<Vec<_>>();
        let sorted = |flags: &[CaseFlag], sort| {
            let mut r = rows.clone();
            filter_and_sort(&mut r, flags, sort);
            ids(&r)
        };
        assert_eq!(sorted(&[], CaseSort::Delta), ["b", "d", "e", "a", "c"]);
        assert_eq!(sorted(&[], CaseSort::DeltaDesc), ["a", "e", "d", "b", "c"]);
        assert_eq!(
            sorted(&[CaseFlag::Score(Flag::Regressed)], CaseSort::Delta),
            ["b", "d"]
        );
        assert_eq!(
            sorted(&[CaseFlag::Cost(CostFlag::CostRegressed)], CaseSort::Cost),
            ["b", "e"]
        );
        assert_eq!(sorted(&[], CaseSort::Case), ["a", "b", "c", "d", "e"]);
        assert_eq!(
            sorted(&[], CaseSort::Cost),
            ["b", "e", "a", "d", "c"],
            "ties by id"
        );
        assert_eq!(
            sorted(
                &[
                    CaseFlag::Score(Flag::MissingB),
                    CaseFlag::Score(Flag::Improved)
                ],
                CaseSort::Delta
            ),
            ["a", "c"],
            "any of several flags"
        );
    }

    #[test]
    fn the_delta_header_flips_and_the_others_sort_one_way() {
        use CaseSort::*;
        assert_eq!(sort_toggle(Delta, Delta), (DeltaDesc, " ↑"));
        assert_eq!(sort_toggle(DeltaDesc, Delta), (Delta, " ↓"));
        assert_eq!(sort_toggle(Cost, Delta), (Delta, ""));
        assert_eq!(sort_toggle(Cost, Cost), (Cost, " ↓"));
        assert_eq!(sort_toggle(Delta, Case), (Case, ""));
        assert_eq!(sort_toggle(Case, Case), (Case, " ↓"));
    }
}
