//! Run b against the baseline run a (SPEC §4): one [`CompareCase`] per case of the union, then
//! the aggregate — flag counts, costs, verdict transitions, dimension deltas and significance.

use std::collections::BTreeSet;

use super::flags::{cost_flag, score_flag, Counts};
use super::stats::{bootstrap_seed, mcnemar_exact, mcnemar_min_detectable, mean_interval, min_detectable_delta, sample_sd};
use super::union::CaseUnion;
use super::{warnings, CaseAgg, RunCases, COST_EPSILON, COST_REGRESSION_SHARE};
use crate::domain::Verdict;
use crate::model::compare::*;
use crate::model::Run;

/// Run b against the baseline run a (SPEC §4). `epsilon` must be finite and ≥ 0.
pub fn compare(
    run_a: Run,
    mut a: RunCases,
    run_b: Run,
    mut b: RunCases,
    epsilon: f64,
) -> CompareReport {
    let slots = DimensionSlots::new(&a.dimensions, &b.dimensions);
    let union = CaseUnion::of(&[a.cases.as_slice(), b.cases.as_slice()]);
    let mut totals = Totals::new(slots.names.len(), union.len());
    let mut per_case = Vec::with_capacity(union.len());
    let thresholds = (a.pass_threshold, b.pass_threshold);
    for row in union.rows() {
        let ca = row[0].map(|i| &mut a.cases[i as usize]);
        let cb = row[1].map(|i| &mut b.cases[i as usize]);
        let case = compare_case(ca, cb, thresholds, epsilon, &slots);
        totals.add(&case);
        per_case.push(case);
    }
    let aggregate = totals.aggregate(&run_a, &run_b, &slots.names);
    CompareReport {
        run_a_id: run_a.id,
        run_b_id: run_b.id,
        epsilon,
        aggregate,
        per_case,
        dimensions: slots.names,
        warnings: warnings(&run_a, &run_b),
        run_a,
        run_b,
        flaky: None,
    }
}

/// The union of both runs' dimension names (sorted), and where each run's own dimensions sit
/// in it.
struct DimensionSlots {
    names: Vec<String>,
    a: Vec<usize>,
    b: Vec<usize>,
}

impl DimensionSlots {
    fn new(a: &[String], b: &[String]) -> DimensionSlots {
        let names: Vec<String> = a
            .iter()
            .chain(b)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let slot = |own: &[String]| -> Vec<usize> {
            own.iter()
                .map(|n| names.binary_search(n).expect("a name of the union"))
                .collect()
        };
        let (a, b) = (slot(a), slot(b));
        DimensionSlots { names, a, b }
    }

    /// A case's dimension scores in union order (empty when no run has a dimension).
    fn pairs(&self, ca: Option<&CaseAgg>, cb: Option<&CaseAgg>) -> Vec<DimensionPair> {
        if self.names.is_empty() {
            return Vec::new();
        }
        let mut out = vec![DimensionPair::default(); self.names.len()];
        if let Some(c) = ca {
            for (i, &s) in self.a.iter().enumerate() {
                out[s].a = c.dim(i);
            }
        }
        if let Some(c) = cb {
            for (i, &s) in self.b.iter().enumerate() {
                out[s].b = c.dim(i);
            }
        }
        out
    }
}

/// One case of the union. Its id and name move out of the runs' cases (they are not read
/// again).
fn compare_case(
    mut ca: Option<&mut CaseAgg>,
    mut cb: Option<&mut CaseAgg>,
    (threshold_a, threshold_b): (f64, f64),
    epsilon: f64,
    slots: &DimensionSlots,
) -> CompareCase {
    let (ra, rb) = (ca.as_deref(), cb.as_deref());
    let (score_a, score_b) = (ra.and_then(CaseAgg::score), rb.and_then(CaseAgg::score));
    let delta = match (score_a, score_b) {
        (Some(x), Some(y)) => Some(y - x),
        _ => None,
    };
    let (cost_a, cost_b) = (ra.map_or(0.0, |c| c.cost), rb.map_or(0.0, |c| c.cost));
    let cost_delta = cost_b - cost_a;
    let dimensions = slots.pairs(ra, rb);
    let case = CompareCase {
        case_id: String::new(),
        case_label: String::new(),
        score_a,
        score_b,
        delta,
        flag: score_flag(ra.is_some(), rb.is_some(), score_a, score_b, epsilon),
        status_a: ra.map(|c| c.status),
        status_b: rb.map(|c| c.status),
        verdict_a: ra.and_then(|c| c.verdict(threshold_a)),
        verdict_b: rb.and_then(|c| c.verdict(threshold_b)),
        epochs_a: ra.map_or(0, |c| c.epochs as i64),
        epochs_b: rb.map_or(0, |c| c.epochs as i64),
        cost_a,
        cost_b,
        cost_delta,
        cost_flag: cost_flag(cost_delta),
        dimensions,
    };
    let (case_id, case_label) = take_label(ca.as_deref_mut(), cb.as_deref_mut());
    CompareCase {
        case_id,
        case_label,
        ..case
    }
}

/// A case's id and label: the label is the newest name (b's, else a's), else the id.
fn take_label(a: Option<&mut CaseAgg>, b: Option<&mut CaseAgg>) -> (String, String) {
    let mut name = None;
    let mut id = String::new();
    if let Some(b) = b {
        name = b.case_name.take();
        id = std::mem::take(&mut b.case_id);
    }
    if let Some(a) = a {
        name = name.or_else(|| a.case_name.take());
        id = std::mem::take(&mut a.case_id);
    }
    let label = name.unwrap_or_else(|| id.clone());
    (id, label)
}

/// One dimension's running sums: over the cases that have it in both runs (a, b, n), and how
/// many cases have it in each run.
#[derive(Clone, Copy, Default)]
struct DimensionTotals {
    paired_a: f64,
    paired_b: f64,
    paired: i64,
    n_a: i64,
    n_b: i64,
}

/// What the aggregate sums over the cases, in case order.
struct Totals {
    /// Score deltas of the cases scored in both runs, and those cases' scores summed.
    deltas: Vec<f64>,
    sum_a: f64,
    sum_b: f64,
    cost_a: f64,
    cost_b: f64,
    flags: Counts<Flag>,
    cost_flags: Counts<CostFlag>,
    transitions: VerdictTransitions,
    dims: Vec<DimensionTotals>,
    cases: i64,
}

impl Totals {
    fn new(dimensions: usize, cases: usize) -> Totals {
        Totals {
            deltas: Vec::with_capacity(cases),
            sum_a: 0.0,
            sum_b: 0.0,
            cost_a: 0.0,
            cost_b: 0.0,
            flags: Counts::default(),
            cost_flags: Counts::default(),
            transitions: VerdictTransitions::empty(),
            dims: vec![DimensionTotals::default(); dimensions],
            cases: 0,
        }
    }

    fn add(&mut self, c: &CompareCase) {
        self.cases += 1;
        if let (Some(x), Some(y), Some(d)) = (c.score_a, c.score_b, c.delta) {
            self.sum_a += x;
            self.sum_b += y;
            self.deltas.push(d);
        }
        self.flags.add(c.flag);
        self.cost_a += c.cost_a;
        self.cost_b += c.cost_b;
        self.cost_flags.add(c.cost_flag);
        if c.status_a.is_some() && c.status_b.is_some() {
            self.transitions.counts[VerdictTransitions::index(c.verdict_a)]
                [VerdictTransitions::index(c.verdict_b)] += 1;
        }
        for (t, d) in self.dims.iter_mut().zip(&c.dimensions) {
            t.n_a += d.a.is_some() as i64;
            t.n_b += d.b.is_some() as i64;
            if let (Some(x), Some(y)) = (d.a, d.b) {
                t.paired_a += x;
                t.paired_b += y;
                t.paired += 1;
            }
        }
    }

    fn aggregate(self, run_a: &Run, run_b: &Run, dimensions: &[String]) -> CompareAggregate {
        let n_pairs = self.deltas.len();
        let mean_over_pairs = |sum: f64| (n_pairs > 0).then(|| sum / n_pairs as f64);
        let cost_delta_usd = self.cost_b - self.cost_a;
        let significance = significance(&self.deltas, &self.transitions, run_a.id, run_b.id);
        let dimension_deltas = dimensions
            .iter()
            .zip(&self.dims)
            .map(|(name, t)| paired_dimension_delta(name, t))
            .collect();
        CompareAggregate {
            mean_score_delta: if n_pairs == 0 {
                0.0
            } else {
                self.deltas.iter().sum::<f64>() / n_pairs as f64
            },
            mean_score_a: mean_over_pairs(self.sum_a),
            mean_score_b: mean_over_pairs(self.sum_b),
            cost_delta_usd,
            cost_a_usd: self.cost_a,
            cost_b_usd: self.cost_b,
            mean_cost_delta: if self.cases == 0 {
                0.0
            } else {
                cost_delta_usd / self.cases as f64
            },
            cost_delta_pct: (self.cost_a > 0.0).then(|| cost_delta_usd / self.cost_a * 100.0),
            cost_regression: if self.cost_a > 0.0 {
                cost_delta_usd > COST_REGRESSION_SHARE * self.cost_a
            } else {
                self.cost_b > COST_EPSILON
            },
            n_improved: self.flags.get(Flag::Improved),
            n_regressed: self.flags.get(Flag::Regressed),
            n_unchanged: self.flags.get(Flag::Unchanged),
            n_missing_a: self.flags.get(Flag::MissingA),
            n_missing_b: self.flags.get(Flag::MissingB),
            n_cost_regressed: self.cost_flags.get(CostFlag::CostRegressed),
            n_cost_improved: self.cost_flags.get(CostFlag::CostImproved),
            n_cost_unchanged: self.cost_flags.get(CostFlag::CostUnchanged),
            n_cases: self.cases,
            pass_rate_a: run_a.pass_rate,
            pass_rate_b: run_b.pass_rate,
            mean_latency_ms_a: run_a.avg_latency_ms,
            mean_latency_ms_b: run_b.avg_latency_ms,
            dimension_basis: "cases".to_string(),
            dimension_deltas,
            transitions: self.transitions,
            significance,
        }
    }
}

/// Is the mean delta real: the interval of it (seeded by the pair of runs) and McNemar's test
/// on the pass↔fail flips.
fn significance(
    deltas: &[f64],
    transitions: &VerdictTransitions,
    run_a: i64,
    run_b: i64,
) -> Significance {
    let seed = bootstrap_seed(run_a, run_b);
    let interval = mean_interval(deltas, seed);
    let pass_to_fail = transitions.get(Some(Verdict::Pass), Some(Verdict::Fail));
    let fail_to_pass = transitions.get(Some(Verdict::Fail), Some(Verdict::Pass));
    let (pass, fail) = (Some(Verdict::Pass), Some(Verdict::Fail));
    let verdict_pairs = transitions.get(pass, pass) + transitions.get(fail, fail) + pass_to_fail + fail_to_pass;
    let delta_sd = sample_sd(deltas);
    Significance {
        method: interval.method.to_string(),
        confidence: 0.95,
        significant: match (interval.low, interval.high) {
            (Some(l), Some(h)) => l > 0.0 || h < 0.0,
            _ => false,
        },
        ci_low: interval.low,
        ci_high: interval.high,
        n_pairs: deltas.len() as i64,
        resamples: interval.resamples as i64,
        seed,
        mcnemar_p: mcnemar_exact(pass_to_fail as u64, fail_to_pass as u64),
        pass_to_fail,
        fail_to_pass,
        delta_sd,
        min_detectable_delta: min_detectable_delta(delta_sd, deltas.len()),
        min_detectable_pass_rate_delta: mcnemar_min_detectable((pass_to_fail + fail_to_pass) as u64, verdict_pairs as u64),
        target_delta: None,
        cases_needed: None,
    }
}

/// A dimension's delta on the `cases` basis: means over the cases scored on it in both runs.
fn paired_dimension_delta(name: &str, t: &DimensionTotals) -> DimensionDelta {
    let n = t.paired;
    let (mean_a, mean_b) = if n > 0 {
        (Some(t.paired_a / n as f64), Some(t.paired_b / n as f64))
    } else {
        (None, None)
    };
    DimensionDelta {
        dimension: name.to_string(),
        mean_a,
        mean_b,
        delta: if n > 0 {
            (t.paired_b - t.paired_a) / n as f64
        } else {
            0.0
        },
        n,
        n_a: t.n_a,
        n_b: t.n_b,
    }
}

/// Dimension deltas from the runs' own aggregates: per dimension `(name, score_sum, n)` over
/// each run's results (the `runs` basis, no per-case rows needed).
pub fn run_dimension_deltas(
    a: &[(String, f64, i64)],
    b: &[(String, f64, i64)],
) -> Vec<DimensionDelta> {
    let names: BTreeSet<&String> = a.iter().chain(b).map(|(d, _, _)| d).collect();
    let find = |rows: &[(String, f64, i64)], name: &str| {
        rows.iter()
            .find(|(d, _, n)| d == name && *n > 0)
            .map(|(_, s, n)| (s / *n as f64, *n))
    };
    names
        .into_iter()
        .map(|name| {
            let (x, y) = (find(a, name), find(b, name));
            DimensionDelta {
                dimension: name.clone(),
                mean_a: x.map(|v| v.0),
                mean_b: y.map(|v| v.0),
                delta: match (x, y) {
                    (Some(x), Some(y)) => y.0 - x.0,
                    _ => 0.0,
                },
                n: 0,
                n_a: x.map_or(0, |v| v.1),
                n_b: y.map_or(0, |v| v.1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{test_cases as cases, test_row as row, test_run as run};
    use super::*;
    use crate::domain::ResultStatus::*;

    #[test]
    fn a_small_comparison_by_hand() {
        // a: p 0.8 (pass), q 0.6 (pass), r 0.2 (fail), s failed, t 0.5 only in a
        // b: p 0.8, q 0.3 (fail), r 0.9 (pass), s 0.7, u 0.4 only in b
        let a = cases(vec![
            row("p", 1, Ok, Some(0.8), 0.25),
            row("q", 1, Ok, Some(0.6), 0.25),
            row("r", 1, Ok, Some(0.2), 0.25),
            row("s", 1, WorkflowFailed, None, 0.25),
            row("t", 1, Ok, Some(0.5), 0.0),
        ]);
        let b = cases(vec![
            row("p", 1, Ok, Some(0.8), 0.25),
            row("q", 1, Ok, Some(0.3), 0.5),
            row("r", 1, Ok, Some(0.9), 0.125),
            row("s", 1, Ok, Some(0.7), 0.25),
            row("u", 1, Ok, Some(0.4), 0.25),
        ]);
        let rep = compare(run(1), a.clone(), run(2), b.clone(), 1e-9);
        let flags: Vec<(&str, &str)> = rep
            .per_case
            .iter()
            .map(|c| (c.case_id.as_str(), c.flag.as_str()))
            .collect();
        assert_eq!(
            flags,
            [
                ("p", "unchanged"),
                ("q", "regressed"),
                ("r", "improved"),
                ("s", "improved"),
                ("t", "missing_b"),
                ("u", "missing_a")
            ]
        );
        let g = &rep.aggregate;
        assert_eq!(
            (
                g.n_improved,
                g.n_regressed,
                g.n_unchanged,
                g.n_missing_a,
                g.n_missing_b
            ),
            (2, 1, 1, 1, 1)
        );
        assert_eq!(g.n_cases, 6);
        // Pairs: p 0, q −0.3, r +0.7.
        assert!((g.mean_score_delta - 0.4 / 3.0).abs() < 1e-12);
        assert!((g.mean_score_a.unwrap() - 1.6 / 3.0).abs() < 1e-12);
        assert!((g.mean_score_b.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(g.significance.n_pairs, 3);
        // Costs: a 1.0, b 1.375.
        assert_eq!(
            (g.cost_a_usd, g.cost_b_usd, g.cost_delta_usd),
            (1.0, 1.375, 0.375)
        );
        assert_eq!(g.cost_delta_pct, Some(37.5));
        assert!(g.cost_regression);
        assert_eq!(g.mean_cost_delta, 0.375 / 6.0);
        assert_eq!(
            (g.n_cost_regressed, g.n_cost_improved, g.n_cost_unchanged),
            (2, 1, 3)
        );
        let t = &g.transitions;
        assert_eq!(t.get(Some(Verdict::Pass), Some(Verdict::Pass)), 1);
        assert_eq!(t.get(Some(Verdict::Pass), Some(Verdict::Fail)), 1);
        assert_eq!(t.get(Some(Verdict::Fail), Some(Verdict::Pass)), 1);
        assert_eq!(t.get(Some(Verdict::Error), Some(Verdict::Pass)), 1);
        assert_eq!(
            t.counts.iter().flatten().sum::<i64>(),
            4,
            "only cases in both runs"
        );
        assert_eq!(g.significance.pass_to_fail, 1);
        assert_eq!(g.significance.fail_to_pass, 1);
        assert_eq!(g.significance.mcnemar_p, Some(1.0));
        let s = &rep.per_case[3];
        assert_eq!(
            (s.status_a, s.verdict_a),
            (Some(WorkflowFailed), Some(Verdict::Error))
        );
        assert_eq!(s.delta, None);
        let u = &rep.per_case[5];
        assert_eq!(
            (u.status_a, u.cost_a, u.cost_flag.as_str(), u.epochs_a),
            (None, 0.0, "cost_regressed", 0)
        );
        assert_eq!(u.case_label, "u", "no name: the id");
        assert!(rep.warnings.is_empty());
        // Nothing spent in a: no percentage; anything spent in b is a cost regression.
        let free = cases(vec![row("p", 1, Ok, Some(0.8), 0.0)]);
        let rep = compare(run(1), free.clone(), run(2), free.clone(), 0.0);
        assert_eq!(
            (rep.aggregate.cost_delta_pct, rep.aggregate.cost_regression),
            (None, false)
        );
        assert_eq!(
            rep.aggregate.significance.ci_low, None,
            "one pair: no interval"
        );
        assert!(!rep.aggregate.significance.significant);
        let paid = cases(vec![row("p", 1, Ok, Some(0.8), 0.01)]);
        assert!(
            compare(run(1), free.clone(), run(2), paid.clone(), 0.0)
                .aggregate
                .cost_regression
        );
        // A 5% rise is not a regression, over 5% is.
        let a100 = cases(vec![row("p", 1, Ok, Some(0.8), 1.0)]);
        let b105 = cases(vec![row("p", 1, Ok, Some(0.8), 1.0 + 1.0 / 32.0)]);
        assert!(
            !compare(run(1), a100.clone(), run(2), b105.clone(), 0.0)
                .aggregate
                .cost_regression
        );
        let b110 = cases(vec![row("p", 1, Ok, Some(0.8), 1.125)]);
        assert!(
            compare(run(1), a100.clone(), run(2), b110.clone(), 0.0)
                .aggregate
                .cost_regression
        );
    }

    #[test]
    fn no_case_scored_in_both_means_a_zero_delta() {
        let a = cases(vec![row("p", 1, WorkflowFailed, None, 0.0)]);
        let b = cases(vec![row("q", 1, Ok, Some(1.0), 0.0)]);
        let rep = compare(run(1), a.clone(), run(2), b.clone(), 0.0);
        assert_eq!(rep.aggregate.mean_score_delta, 0.0);
        assert_eq!(rep.aggregate.mean_score_a, None);
        assert_eq!(rep.aggregate.significance.mcnemar_p, None, "no flips");
        let empty = compare(
            run(1),
            RunCases::default(),
            run(2),
            RunCases::default(),
            0.0,
        );
        assert_eq!(
            (empty.aggregate.n_cases, empty.aggregate.mean_cost_delta),
            (0, 0.0)
        );
        let v = serde_json::to_value(&empty).unwrap();
        for k in [
            "mean_score_delta",
            "cost_delta_usd",
            "n_regressed",
            "n_improved",
            "n_unchanged",
            "mean_cost_delta",
        ] {
            assert!(v["aggregate"][k].is_number(), "{k} never null");
        }
    }

    #[test]
    fn dimension_deltas_pair_cases_that_have_the_dimension_in_both() {
        let a = RunCases::from_rows(
            vec![
                row("p", 1, Ok, Some(1.0), 0.0),
                row("q", 1, Ok, Some(1.0), 0.0),
                row("r", 1, Ok, Some(1.0), 0.0),
            ],
            vec!["tone".into(), "acc".into()],
            &[(0, 0, 0.5), (1, 0, 0.25), (0, 1, 1.0), (2, 1, 0.0)],
            0.5,
        );
        let b = RunCases::from_rows(
            vec![
                row("p", 1, Ok, Some(1.0), 0.0),
                row("q", 1, Ok, Some(1.0), 0.0),
            ],
            vec!["acc".into(), "safety".into()],
            &[(0, 0, 0.5), (1, 0, 0.75), (0, 1, 1.0)],
            0.5,
        );
        let rep = compare(run(1), a.clone(), run(2), b.clone(), 0.0);
        assert_eq!(rep.dimensions, ["acc", "safety", "tone"]);
        let acc = &rep.aggregate.dimension_deltas[0];
        // acc in both: p only (a 1.0 → b 0.5); a has it for p and r, b for p and q.
        assert_eq!(
            (acc.mean_a, acc.mean_b, acc.delta, acc.n, acc.n_a, acc.n_b),
            (Some(1.0), Some(0.5), -0.5, 1, 2, 2)
        );
        let safety = &rep.aggregate.dimension_deltas[1];
        assert_eq!(
            (safety.mean_a, safety.delta, safety.n, safety.n_b),
            (None, 0.0, 0, 1)
        );
        let p = &rep.per_case[0];
        assert_eq!(
            p.dimensions,
            [
                DimensionPair {
                    a: Some(1.0),
                    b: Some(0.5)
                },
                DimensionPair {
                    a: None,
                    b: Some(1.0)
                },
                DimensionPair {
                    a: Some(0.5),
                    b: None
                }
            ]
        );
    }
}
