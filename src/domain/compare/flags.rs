//! A case's flags — how its score and its cost moved from run a to run b — and counts of them
//! keyed by the flag itself.

use super::{COST_EPSILON, DEFAULT_EPSILON_SHARE};
use crate::model::compare::{CostFlag, Flag};

/// SPEC §4's flag of one case: `missing_a` (only in b), `missing_b` (only in a); both scored:
/// improved / regressed when |Δ| > epsilon, else unchanged; one scored: improved (b) or
/// regressed (a); neither: unchanged.
pub fn score_flag(
    in_a: bool,
    in_b: bool,
    score_a: Option<f64>,
    score_b: Option<f64>,
    epsilon: f64,
) -> Flag {
    match (in_a, in_b) {
        (false, _) => Flag::MissingA,
        (true, false) => Flag::MissingB,
        (true, true) => match (score_a, score_b) {
            (Some(a), Some(b)) => {
                let d = b - a;
                if d.abs() <= epsilon {
                    Flag::Unchanged
                } else if d > 0.0 {
                    Flag::Improved
                } else {
                    Flag::Regressed
                }
            }
            (None, Some(_)) => Flag::Improved,
            (Some(_), None) => Flag::Regressed,
            (None, None) => Flag::Unchanged,
        },
    }
}

/// `cost_regressed | cost_improved | cost_unchanged` for `cost_b − cost_a`.
pub fn cost_flag(cost_delta: f64) -> CostFlag {
    if cost_delta.abs() <= COST_EPSILON {
        CostFlag::CostUnchanged
    } else if cost_delta > 0.0 {
        CostFlag::CostRegressed
    } else {
        CostFlag::CostImproved
    }
}

/// The score tolerance for a baseline on `score_max`, or the one asked for.
pub fn epsilon_for(score_max: f64, asked: Option<f64>) -> f64 {
    asked.unwrap_or(DEFAULT_EPSILON_SHARE * score_max)
}

/// A kind of flag that can be counted: every value of it, in the order reports list them.
pub trait FlagKind: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
}

impl FlagKind for Flag {
    const ALL: &'static [Flag] = &Flag::ALL;
}

impl FlagKind for CostFlag {
    const ALL: &'static [CostFlag] = &CostFlag::ALL;
}

/// How many cases carry each flag of a kind, read by the flag (`get(Flag::Regressed)`), so no
/// count depends on the order the enum declares its values in.
#[derive(Clone, Debug, PartialEq)]
pub struct Counts<F: FlagKind> {
    n: Vec<(F, i64)>,
}

impl<F: FlagKind> Default for Counts<F> {
    fn default() -> Self {
        Counts {
            n: F::ALL.iter().map(|&f| (f, 0)).collect(),
        }
    }
}

impl<F: FlagKind> Counts<F> {
    fn slot(&mut self, flag: F) -> &mut i64 {
        let i = self
            .n
            .iter()
            .position(|(f, _)| *f == flag)
            .expect("every flag is in ALL");
        &mut self.n[i].1
    }

    /// Count one more case with `flag`.
    pub fn add(&mut self, flag: F) {
        *self.slot(flag) += 1;
    }

    pub fn get(&self, flag: F) -> i64 {
        self.n
            .iter()
            .find(|(f, _)| *f == flag)
            .map_or(0, |(_, n)| *n)
    }

    /// Every flag with its count, in `F::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (F, i64)> + '_ {
        self.n.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_flags_follow_the_spec_table() {
        let e = 0.01;
        let table = [
            // (in a, in b, score a, score b, flag)
            (false, true, None, Some(0.5), Flag::MissingA),
            (false, true, None, None, Flag::MissingA),
            (true, false, Some(0.5), None, Flag::MissingB),
            (true, false, None, None, Flag::MissingB),
            (true, true, Some(0.5), Some(0.7), Flag::Improved),
            (true, true, Some(0.7), Some(0.5), Flag::Regressed),
            (true, true, Some(0.5), Some(0.505), Flag::Unchanged),
            (true, true, Some(0.5), Some(0.495), Flag::Unchanged),
            (true, true, None, Some(0.0), Flag::Improved),
            (true, true, Some(0.0), None, Flag::Regressed),
            (true, true, None, None, Flag::Unchanged),
        ];
        for (in_a, in_b, a, b, want) in table {
            assert_eq!(
                score_flag(in_a, in_b, a, b, e),
                want,
                "{in_a} {in_b} {a:?} {b:?}"
            );
        }
        // |Δ| equal to epsilon is unchanged; just over it is not (exact binary fractions).
        assert_eq!(
            score_flag(true, true, Some(0.25), Some(0.5), 0.25),
            Flag::Unchanged
        );
        assert_eq!(
            score_flag(true, true, Some(0.5), Some(0.25), 0.25),
            Flag::Unchanged
        );
        assert_eq!(
            score_flag(true, true, Some(0.25), Some(0.5), 0.249),
            Flag::Improved
        );
        assert_eq!(
            score_flag(true, true, Some(0.5), Some(0.25), 0.249),
            Flag::Regressed
        );
        // The default epsilon scales with score_max and lets judge jitter through as unchanged.
        assert!((epsilon_for(100.0, None) - 1e-7).abs() < 1e-20);
        assert_eq!(epsilon_for(100.0, Some(0.5)), 0.5);
        assert_eq!(
            score_flag(
                true,
                true,
                Some(70.0),
                Some(70.0 + 5e-8),
                epsilon_for(100.0, None)
            ),
            Flag::Unchanged
        );
        assert_eq!(
            score_flag(
                true,
                true,
                Some(70.0),
                Some(70.0 + 5e-7),
                epsilon_for(100.0, None)
            ),
            Flag::Improved
        );
        // Zero epsilon: any difference counts, equality does not.
        assert_eq!(
            score_flag(true, true, Some(0.3), Some(0.3), 0.0),
            Flag::Unchanged
        );
    }

    #[test]
    fn cost_flags_have_a_tolerance_of_1e9() {
        for (d, want) in [
            (0.0, CostFlag::CostUnchanged),
            (1e-9, CostFlag::CostUnchanged),
            (-1e-9, CostFlag::CostUnchanged),
            (2e-9, CostFlag::CostRegressed),
            (-2e-9, CostFlag::CostImproved),
            (0.5, CostFlag::CostRegressed),
            (-0.5, CostFlag::CostImproved),
        ] {
            assert_eq!(cost_flag(d), want, "{d}");
        }
    }

    #[test]
    fn counts_are_read_by_flag() {
        let mut c = Counts::<Flag>::default();
        for f in [
            Flag::MissingB,
            Flag::Regressed,
            Flag::MissingB,
            Flag::Improved,
        ] {
            c.add(f);
        }
        assert_eq!(
            (
                c.get(Flag::MissingB),
                c.get(Flag::Regressed),
                c.get(Flag::Improved)
            ),
            (2, 1, 1)
        );
        assert_eq!((c.get(Flag::Unchanged), c.get(Flag::MissingA)), (0, 0));
        let listed: Vec<(Flag, i64)> = c.iter().collect();
        assert_eq!(
            listed.len(),
            Flag::ALL.len(),
            "every flag listed, zeros too"
        );
        assert_eq!(listed[0], (Flag::ALL[0], c.get(Flag::ALL[0])));
        let mut cost = Counts::<CostFlag>::default();
        cost.add(CostFlag::CostImproved);
        assert_eq!(
            (
                cost.get(CostFlag::CostImproved),
                cost.get(CostFlag::CostRegressed)
            ),
            (1, 0)
        );
    }
}
