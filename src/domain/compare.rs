//! Run comparison (SPEC §4 "Compare"), pure: no I/O, no clock. The store reads each run's result
//! rows into [`RunCases`] (epochs folded per case) and these functions build the pairwise
//! [`CompareReport`] and the [`NWayReport`] from them.
//!
//! Decisions where SPEC is silent:
//! - A case's score is the mean of its epochs' scores, counting ok/cached epochs with a score
//!   only (as the run's `mean_headline_score` does). Its cost is the sum of its epochs' costs,
//!   so per-case costs add up to the run's total.
//! - A case's verdict is pass/fail from that mean against the run's `pass_threshold`; without a
//!   scored epoch it is `error` when any epoch errored, else none (skipped). With one epoch this
//!   is exactly the stored verdict.
//! - A case's status is the most telling of its epochs': a failure, else ok, else cached, else
//!   skipped.
//! - `epsilon` defaults to `1e-9 ×` run a's `score_max` (the baseline's for N-way).
//! - The transition matrix counts the cases present in both runs (a missing case is a
//!   `missing_*` flag, not a verdict).
//! - The interval needs 2 pairs; with fewer it is null and not significant.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::{ResultStatus, Verdict};
use crate::model::compare::*;
use crate::model::Run;

/// Above this many pairs the interval is a normal approximation instead of a bootstrap
/// (SPEC §4 allows it; a bootstrap of 50,000 pairs alone would eat the whole 150 ms budget).
pub const BOOTSTRAP_MAX_PAIRS: usize = 10_000;
/// Bootstrap resamples (SPEC §4).
pub const RESAMPLES: usize = 2_000;
/// Cost deltas within this are `cost_unchanged`.
pub const COST_EPSILON: f64 = 1e-9;
/// `cost_regression` when run b costs more than this share over run a.
pub const COST_REGRESSION_SHARE: f64 = 0.05;
/// The default score tolerance, as a share of the score scale.
pub const DEFAULT_EPSILON_SHARE: f64 = 1e-9;
/// z for a two-sided 95% normal interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// One result row as the comparison reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseRow {
    pub case_id: String,
    pub case_name: Option<String>,
    pub epoch: i64,
    pub status: ResultStatus,
    pub headline_score: Option<f64>,
    pub cost_usd: f64,
}

/// One dimension score of a row: `(index of the row, index of the dimension name, score)`.
pub type DimRow = (u32, u32, f64);

/// A case of one run, its epochs folded.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseAgg {
    pub case_id: String,
    pub case_name: Option<String>,
    pub epochs: u32,
    /// Sum and count of the scored (ok/cached with a score) epochs' scores.
    pub score_sum: f64,
    pub scored: u32,
    pub cost: f64,
    pub status: ResultStatus,
    /// Some epoch's verdict is `error` (a failure, or ok/cached without a score).
    pub errored: bool,
    /// Per dimension of [`RunCases::dimensions`]: (sum, count).
    pub dims: Vec<(f64, u32)>,
}

impl CaseAgg {
    pub fn score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_sum / self.scored as f64)
    }

    pub fn verdict(&self, pass_threshold: f64) -> Option<Verdict> {
        match self.score() {
            Some(s) if s >= pass_threshold => Some(Verdict::Pass),
            Some(_) => Some(Verdict::Fail),
            None if self.errored => Some(Verdict::Error),
            None => None,
        }
    }

    fn dim(&self, i: usize) -> Option<f64> {
        self.dims
            .get(i)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| s / *n as f64)
    }
}

/// How telling a status is when a case's epochs differ: failures first, then ok, cached, skipped.
fn status_rank(s: ResultStatus) -> u8 {
    match s {
        ResultStatus::WorkflowFailed => 5,
        ResultStatus::JudgeFailed => 4,
        ResultStatus::Ok => 3,
        ResultStatus::Cached => 2,
        ResultStatus::Skipped => 1,
    }
}

/// One run's cases, ordered by case id (byte order), with the run's pass threshold.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RunCases {
    pub pass_threshold: f64,
    pub dimensions: Vec<String>,
    pub cases: Vec<CaseAgg>,
}

impl RunCases {
    /// Fold result rows (any order) and their dimension scores into cases.
    pub fn from_rows(
        mut rows: Vec<CaseRow>,
        dimensions: Vec<String>,
        dims: &[DimRow],
        pass_threshold: f64,
    ) -> RunCases {
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_unstable_by(|&i, &j| {
            let (x, y) = (&rows[i as usize], &rows[j as usize]);
            x.case_id
                .as_bytes()
                .cmp(y.case_id.as_bytes())
                .then(x.epoch.cmp(&y.epoch))
        });
        let ndims = dimensions.len();
        let mut case_of_row = vec![0u32; rows.len()];
        let mut cases: Vec<CaseAgg> = Vec::new();
        for &i in &order {
            let r = &mut rows[i as usize];
            let same = cases.last().is_some_and(|c| c.case_id == r.case_id);
            if !same {
                cases.push(CaseAgg {
                    case_id: std::mem::take(&mut r.case_id),
                    case_name: r.case_name.take(),
                    epochs: 0,
                    score_sum: 0.0,
                    scored: 0,
                    cost: 0.0,
                    status: r.status,
                    errored: false,
                    dims: if ndims == 0 {
                        Vec::new()
                    } else {
                        vec![(0.0, 0); ndims]
                    },
                });
            }
            case_of_row[i as usize] = (cases.len() - 1) as u32;
            let c = cases.last_mut().expect("a case was pushed");
            c.epochs += 1;
            c.cost += r.cost_usd;
            if status_rank(r.status) > status_rank(c.status) {
                c.status = r.status;
            }
            if c.case_name.is_none() {
                c.case_name = r.case_name.take();
            }
            match (r.status.is_ok(), r.headline_score) {
                (true, Some(s)) => {
                    c.score_sum += s;
                    c.scored += 1;
                }
                (true, None) => c.errored = true,
                (false, _) => c.errored |= r.status != ResultStatus::Skipped,
            }
        }
        for &(row, dim, score) in dims {
            if let (Some(&ci), true) = (case_of_row.get(row as usize), (dim as usize) < ndims) {
                let d = &mut cases[ci as usize].dims[dim as usize];
                d.0 += score;
                d.1 += 1;
            }
        }
        RunCases {
            pass_threshold,
            dimensions,
            cases,
        }
    }
}

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

// ---------------------------------------------------------------------------------------------
// Statistics

/// SplitMix64's output function: a bijection on u64 that mixes every bit.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The bootstrap seed of comparing run `a` with run `b`: fixed for the pair (so the same
/// comparison always gives the same interval), different for (b, a) and for other pairs.
pub fn bootstrap_seed(a: i64, b: i64) -> u64 {
    mix64(mix64(a as u64 ^ 0x9E37_79B9_7F4A_7C15).wrapping_add(b as u64))
}

/// xoshiro256++ (Blackman & Vigna, <https://prng.di.unimi.it/>), seeded through SplitMix64 as
/// its authors recommend. Written out here so the stream — and so every published interval —
/// can never change under a dependency upgrade.
pub struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix64(x)
        };
        Xoshiro256pp {
            s: [next(), next(), next(), next()],
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// An index in `0..n` by Lemire's multiply-shift (no rejection: the bias is below n / 2⁶⁴).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// A 95% interval of a mean.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    pub method: &'static str,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub resamples: usize,
}

/// Linear-interpolation quantile (type 7) of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The paired bootstrap 95% percentile interval of the mean of `deltas` (`RESAMPLES`
/// resamples), or the normal approximation above `BOOTSTRAP_MAX_PAIRS` pairs. Null with fewer
/// than 2 pairs.
pub fn mean_interval(deltas: &[f64], seed: u64) -> Interval {
    let n = deltas.len();
    if n > BOOTSTRAP_MAX_PAIRS {
        let mean = deltas.iter().sum::<f64>() / n as f64;
        let var = deltas.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / (n - 1) as f64;
        let half = Z_95 * (var / n as f64).sqrt();
        return Interval {
            method: "normal",
            low: Some(mean - half),
            high: Some(mean + half),
            resamples: 0,
        };
    }
    if n < 2 {
        return Interval {
            method: "bootstrap",
            low: None,
            high: None,
            resamples: 0,
        };
    }
    let mut rng = Xoshiro256pp::new(seed);
    let mut means = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        // Four running sums, so the additions do not wait on each other.
        let mut sums = [0.0f64; 4];
        for _ in 0..n / 4 {
            for s in &mut sums {
                *s += deltas[rng.below(n)];
            }
        }
        for _ in 0..n % 4 {
            sums[0] += deltas[rng.below(n)];
        }
        means.push((sums[0] + sums[1]) + (sums[2] + sums[3]));
    }
    for m in &mut means {
        *m /= n as f64;
    }
    means.sort_unstable_by(f64::total_cmp);
    Interval {
        method: "bootstrap",
        low: Some(quantile(&means, 0.025)),
        high: Some(quantile(&means, 0.975)),
        resamples: RESAMPLES,
    }
}

/// ln(e^x + e^y …) of `terms` without overflow or underflow.
fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// Exact two-sided McNemar p-value for `b` flips one way and `c` the other:
/// `min(1, 2 · Σ_{k ≤ min(b,c)} C(b+c, k) / 2^(b+c))`, summed in log space (each term's
/// ln C(n, k) by the recurrence ln C(n, k+1) = ln C(n, k) + ln(n − k) − ln(k + 1)), so tens of
/// thousands of flips neither overflow nor lose the tail. None without flips.
pub fn mcnemar_exact(b: u64, c: u64) -> Option<f64> {
    let n = b + c;
    if n == 0 {
        return None;
    }
    let m = b.min(c);
    let ln2 = std::f64::consts::LN_2;
    let mut terms = Vec::with_capacity(m as usize + 1);
    let mut ln_c = 0.0;
    for k in 0..=m {
        terms.push(ln_c - n as f64 * ln2);
        ln_c += ((n - k) as f64).ln() - ((k + 1) as f64).ln();
    }
    Some((ln2 + log_sum_exp(&terms)).exp().min(1.0))
}

// ---------------------------------------------------------------------------------------------
// Reports

fn sel_label(r: &Run) -> String {
    match (&r.case_filter, r.mode.as_str()) {
        (_, "sampled") => format!("a sample of {} cases", r.total_cases),
        (Some(ids), _) => format!("{} named cases", ids.len()),
        (None, _) => format!("all {} cases", r.total_cases),
    }
}

/// Why comparing `b` against `a` may mislead.
pub fn warnings(a: &Run, b: &Run) -> Vec<CompareWarning> {
    let mut out = Vec::new();
    let mut warn = |code: &str, message: String| {
        out.push(CompareWarning {
            code: code.to_string(),
            message,
        })
    };
    if a.bench_id != b.bench_id {
        warn(
            "different_bench",
            format!(
                "run {} is on bench '{}', run {} on bench '{}'",
                a.id, a.bench_name, b.id, b.bench_name
            ),
        );
    }
    let same_selection = a.mode == b.mode
        && match (&a.case_filter, &b.case_filter) {
            (None, None) => a.total_cases == b.total_cases,
            (Some(x), Some(y)) => {
                x.iter().collect::<BTreeSet<_>>() == y.iter().collect::<BTreeSet<_>>()
            }
            _ => false,
        };
    if !same_selection {
        warn(
            "different_selection",
            format!(
                "run {} ran {} ({}), run {} ran {} ({})",
                a.id,
                sel_label(a),
                a.mode,
                b.id,
                sel_label(b),
                b.mode
            ),
        );
    }
    if a.judge_version_id != b.judge_version_id {
        warn(
            "different_judge_version",
            format!(
                "run {} was scored by {} v{}, run {} by {} v{}",
                a.id,
                a.judge_script_name,
                a.judge_version_number,
                b.id,
                b.judge_script_name,
                b.judge_version_number
            ),
        );
    }
    if a.score_max != b.score_max || a.pass_threshold != b.pass_threshold {
        warn(
            "different_score_scale",
            format!(
                "run {} scores 0–{} (pass at {}), run {} scores 0–{} (pass at {})",
                a.id, a.score_max, a.pass_threshold, b.id, b.score_max, b.pass_threshold
            ),
        );
    }
    out
}

/// Walk the union of several runs' case lists (each ordered by case id): `f` gets, per case
/// id, the index of the case in each run that has it.
fn for_each_union(runs: &[&RunCases], mut f: impl FnMut(&[Option<usize>])) {
    let mut pos = vec![0usize; runs.len()];
    let mut here: Vec<Option<usize>> = vec![None; runs.len()];
    loop {
        let mut min: Option<&str> = None;
        for (r, p) in runs.iter().zip(&pos) {
            if let Some(c) = r.cases.get(*p) {
                if min.is_none_or(|m| c.case_id.as_bytes() < m.as_bytes()) {
                    min = Some(&c.case_id);
                }
            }
        }
        let Some(min) = min else { return };
        for (i, (r, p)) in runs.iter().zip(pos.iter_mut()).enumerate() {
            here[i] = match r.cases.get(*p) {
                Some(c) if c.case_id == min => {
                    *p += 1;
                    Some(*p - 1)
                }
                _ => None,
            };
        }
        f(&here);
    }
}

/// The union of two runs' case lists (each ordered by case id) by a merge join: per case, its
/// index in run a and in run b.
fn merge_order(a: &RunCases, b: &RunCases) -> Vec<(Option<u32>, Option<u32>)> {
    let mut out = Vec::with_capacity(a.cases.len().max(b.cases.len()));
    let (mut i, mut j) = (0, 0);
    loop {
        let next = match (a.cases.get(i), b.cases.get(j)) {
            (None, None) => return out,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => x.case_id.as_bytes().cmp(y.case_id.as_bytes()),
        };
        match next {
            Ordering::Less => {
                out.push((Some(i as u32), None));
                i += 1;
            }
            Ordering::Greater => {
                out.push((None, Some(j as u32)));
                j += 1;
            }
            Ordering::Equal => {
                out.push((Some(i as u32), Some(j as u32)));
                i += 1;
                j += 1;
            }
        }
    }
}

/// A case's id and label, moved out of the runs' cases (they are not read again): the label is
/// the newest name (b's, else a's), else the id.
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

/// Run b against the baseline run a (SPEC §4). `epsilon` must be finite and ≥ 0.
pub fn compare(
    run_a: Run,
    mut a: RunCases,
    run_b: Run,
    mut b: RunCases,
    epsilon: f64,
) -> CompareReport {
    // The union of dimension names, and where each run's dimensions sit in it.
    let dimensions: Vec<String> = a
        .dimensions
        .iter()
        .chain(&b.dimensions)
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let slot = |names: &[String]| -> Vec<usize> {
        names
            .iter()
            .map(|n| dimensions.binary_search(n).expect("a name of the union"))
            .collect()
    };
    let (slot_a, slot_b) = (slot(&a.dimensions), slot(&b.dimensions));
    let nd = dimensions.len();
    // Per dimension: paired sums (a, b, n) and per-run counts.
    let mut dim_pairs = vec![(0.0, 0.0, 0i64); nd];
    let mut dim_n = vec![(0i64, 0i64); nd];

    let mut per_case = Vec::with_capacity(a.cases.len().max(b.cases.len()));
    let mut deltas = Vec::with_capacity(a.cases.len().min(b.cases.len()));
    let (mut sum_a, mut sum_b) = (0.0, 0.0);
    let (mut cost_a_total, mut cost_b_total) = (0.0, 0.0);
    let mut counts = [0i64; 5];
    let mut cost_counts = [0i64; 3];
    let mut transitions = VerdictTransitions::empty();
    let mut row_dims = vec![DimensionPair::default(); nd];

    for (ia, ib) in merge_order(&a, &b) {
        let ca = ia.map(|i| &a.cases[i as usize]);
        let cb = ib.map(|i| &b.cases[i as usize]);
        let (score_a, score_b) = (ca.and_then(CaseAgg::score), cb.and_then(CaseAgg::score));
        let delta = match (score_a, score_b) {
            (Some(x), Some(y)) => {
                sum_a += x;
                sum_b += y;
                deltas.push(y - x);
                Some(y - x)
            }
            _ => None,
        };
        let flag = score_flag(ca.is_some(), cb.is_some(), score_a, score_b, epsilon);
        counts[flag as usize] += 1;
        let (cost_a, cost_b) = (ca.map_or(0.0, |c| c.cost), cb.map_or(0.0, |c| c.cost));
        cost_a_total += cost_a;
        cost_b_total += cost_b;
        let cost_delta = cost_b - cost_a;
        let cflag = cost_flag(cost_delta);
        cost_counts[cflag as usize] += 1;
        let verdict_a = ca.and_then(|c| c.verdict(a.pass_threshold));
        let verdict_b = cb.and_then(|c| c.verdict(b.pass_threshold));
        if ca.is_some() && cb.is_some() {
            transitions.counts[VerdictTransitions::index(verdict_a)]
                [VerdictTransitions::index(verdict_b)] += 1;
        }
        let dims = if nd == 0 {
            Vec::new()
        } else {
            row_dims
                .iter_mut()
                .for_each(|d| *d = DimensionPair::default());
            if let Some(c) = ca {
                for (i, &s) in slot_a.iter().enumerate() {
                    row_dims[s].a = c.dim(i);
                }
            }
            if let Some(c) = cb {
                for (i, &s) in slot_b.iter().enumerate() {
                    row_dims[s].b = c.dim(i);
                }
            }
            for (k, d) in row_dims.iter().enumerate() {
                dim_n[k].0 += d.a.is_some() as i64;
                dim_n[k].1 += d.b.is_some() as i64;
                if let (Some(x), Some(y)) = (d.a, d.b) {
                    dim_pairs[k].0 += x;
                    dim_pairs[k].1 += y;
                    dim_pairs[k].2 += 1;
                }
            }
            row_dims.clone()
        };
        let (status_a, status_b) = (ca.map(|c| c.status), cb.map(|c| c.status));
        let (epochs_a, epochs_b) = (
            ca.map_or(0, |c| c.epochs as i64),
            cb.map_or(0, |c| c.epochs as i64),
        );
        let (case_id, case_label) = take_label(
            ia.map(|i| &mut a.cases[i as usize]),
            ib.map(|i| &mut b.cases[i as usize]),
        );
        per_case.push(CompareCase {
            case_id,
            case_label,
            score_a,
            score_b,
            delta,
            flag,
            status_a,
            status_b,
            verdict_a,
            verdict_b,
            epochs_a,
            epochs_b,
            cost_a,
            cost_b,
            cost_delta,
            cost_flag: cflag,
            dimensions: dims,
        });
    }

    let n_pairs = deltas.len();
    let mean_score_delta = if n_pairs == 0 {
        0.0
    } else {
        deltas.iter().sum::<f64>() / n_pairs as f64
    };
    let n_cases = per_case.len() as i64;
    let cost_delta_usd = cost_b_total - cost_a_total;
    let cost_delta_pct = (cost_a_total > 0.0).then(|| cost_delta_usd / cost_a_total * 100.0);
    let cost_regression = if cost_a_total > 0.0 {
        cost_delta_usd > COST_REGRESSION_SHARE * cost_a_total
    } else {
        cost_b_total > COST_EPSILON
    };
    let seed = bootstrap_seed(run_a.id, run_b.id);
    let interval = mean_interval(&deltas, seed);
    let pass_to_fail = transitions.get(Some(Verdict::Pass), Some(Verdict::Fail));
    let fail_to_pass = transitions.get(Some(Verdict::Fail), Some(Verdict::Pass));
    let significance = Significance {
        method: interval.method.to_string(),
        confidence: 0.95,
        significant: match (interval.low, interval.high) {
            (Some(l), Some(h)) => l > 0.0 || h < 0.0,
            _ => false,
        },
        ci_low: interval.low,
        ci_high: interval.high,
        n_pairs: n_pairs as i64,
        resamples: interval.resamples as i64,
        seed,
        mcnemar_p: mcnemar_exact(pass_to_fail as u64, fail_to_pass as u64),
        pass_to_fail,
        fail_to_pass,
    };
    let dimension_deltas = dimensions
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let (sa, sb, n) = dim_pairs[k];
            let (mean_a, mean_b) = if n > 0 {
                (Some(sa / n as f64), Some(sb / n as f64))
            } else {
                (None, None)
            };
            DimensionDelta {
                dimension: name.clone(),
                mean_a,
                mean_b,
                delta: if n > 0 { (sb - sa) / n as f64 } else { 0.0 },
                n,
                n_a: dim_n[k].0,
                n_b: dim_n[k].1,
            }
        })
        .collect();
    let aggregate = CompareAggregate {
        mean_score_delta,
        mean_score_a: (n_pairs > 0).then(|| sum_a / n_pairs as f64),
        mean_score_b: (n_pairs > 0).then(|| sum_b / n_pairs as f64),
        cost_delta_usd,
        cost_a_usd: cost_a_total,
        cost_b_usd: cost_b_total,
        mean_cost_delta: if n_cases == 0 {
            0.0
        } else {
            cost_delta_usd / n_cases as f64
        },
        cost_delta_pct,
        cost_regression,
        n_improved: counts[0],
        n_regressed: counts[1],
        n_unchanged: counts[2],
        n_missing_a: counts[3],
        n_missing_b: counts[4],
        n_cost_regressed: cost_counts[0],
        n_cost_improved: cost_counts[1],
        n_cost_unchanged: cost_counts[2],
        n_cases,
        pass_rate_a: run_a.pass_rate,
        pass_rate_b: run_b.pass_rate,
        mean_latency_ms_a: run_a.avg_latency_ms,
        mean_latency_ms_b: run_b.avg_latency_ms,
        dimension_basis: "cases".to_string(),
        dimension_deltas,
        transitions,
        significance,
    };
    CompareReport {
        run_a_id: run_a.id,
        run_b_id: run_b.id,
        epsilon,
        aggregate,
        per_case,
        dimensions,
        warnings: warnings(&run_a, &run_b),
        run_a,
        run_b,
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

/// N runs, the first the baseline (SPEC §4 "N-way"). `flag_filter` keeps a row when any
/// non-baseline column has one of its flags (empty: every row). `epsilon` must be finite and ≥ 0.
pub fn compare_many(runs: Vec<(Run, RunCases)>, epsilon: f64, flag_filter: &[Flag]) -> NWayReport {
    let cases: Vec<&RunCases> = runs.iter().map(|(_, c)| c).collect();
    let n = runs.len();
    let mut summaries: Vec<NWayRunSummary> = runs
        .iter()
        .map(|(run, c)| {
            let scores: Vec<f64> = c.cases.iter().filter_map(CaseAgg::score).collect();
            NWayRunSummary {
                run: run.clone(),
                mean_score: (!scores.is_empty())
                    .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
                pass_rate: run.pass_rate,
                cost_usd: c.cases.iter().map(|c| c.cost).sum(),
                n_cases: c.cases.len() as i64,
                mean_score_delta: 0.0,
                cost_delta_usd: 0.0,
                n_improved: 0,
                n_regressed: 0,
                n_unchanged: 0,
                n_missing_a: 0,
                n_missing_b: 0,
            }
        })
        .collect();
    let mut delta_sums = vec![(0.0, 0i64); n];
    let mut rows = Vec::new();
    for_each_union(&cases, |here| {
        let base = here[0].map(|i| &cases[0].cases[i]);
        let base_score = base.and_then(CaseAgg::score);
        let mut keep = flag_filter.is_empty();
        let cells: Vec<NWayCell> = here
            .iter()
            .enumerate()
            .map(|(k, idx)| {
                let c = idx.map(|i| &cases[k].cases[i]);
                let score = c.and_then(CaseAgg::score);
                let delta = match (base_score, score) {
                    (Some(x), Some(y)) if k > 0 => Some(y - x),
                    _ => None,
                };
                // A case neither the baseline nor this run has gets no flag in this column.
                let flag = (k > 0 && (base.is_some() || c.is_some()))
                    .then(|| score_flag(base.is_some(), c.is_some(), base_score, score, epsilon));
                if let Some(f) = flag {
                    let s = &mut summaries[k];
                    match f {
                        Flag::Improved => s.n_improved += 1,
                        Flag::Regressed => s.n_regressed += 1,
                        Flag::Unchanged => s.n_unchanged += 1,
                        Flag::MissingA => s.n_missing_a += 1,
                        Flag::MissingB => s.n_missing_b += 1,
                    }
                    keep |= flag_filter.contains(&f);
                }
                if let Some(d) = delta {
                    delta_sums[k].0 += d;
                    delta_sums[k].1 += 1;
                }
                NWayCell {
                    score,
                    status: c.map(|c| c.status),
                    verdict: c.and_then(|c| c.verdict(cases[k].pass_threshold)),
                    cost: c.map_or(0.0, |c| c.cost),
                    delta,
                    flag,
                }
            })
            .collect();
        if keep {
            // The label of the newest column that has the case, else its id.
            let named = here
                .iter()
                .enumerate()
                .rev()
                .find_map(|(k, idx)| idx.and_then(|i| cases[k].cases[i].case_name.clone()));
            let id = here
                .iter()
                .enumerate()
                .find_map(|(k, idx)| idx.map(|i| cases[k].cases[i].case_id.clone()))
                .unwrap_or_default();
            rows.push(NWayRow {
                case_label: named.unwrap_or_else(|| id.clone()),
                case_id: id,
                cells,
            });
        }
    });
    let base_cost = summaries.first().map_or(0.0, |s| s.cost_usd);
    for (k, s) in summaries.iter_mut().enumerate().skip(1) {
        let (sum, cnt) = delta_sums[k];
        s.mean_score_delta = if cnt == 0 { 0.0 } else { sum / cnt as f64 };
        s.cost_delta_usd = s.cost_usd - base_cost;
    }
    let mut nway_warnings = Vec::new();
    if let Some((base, _)) = runs.first() {
        for (run, _) in runs.iter().skip(1) {
            for w in warnings(base, run) {
                nway_warnings.push(NWayWarning {
                    run_id: run.id,
                    code: w.code,
                    message: w.message,
                });
            }
        }
    }
    NWayReport {
        run_ids: runs.iter().map(|(r, _)| r.id).collect(),
        epsilon,
        flag_filter: flag_filter.to_vec(),
        runs: summaries,
        rows,
        warnings: nway_warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultStatus::*;

    fn run(id: i64) -> Run {
        Run {
            id,
            bench_id: 1,
            bench_name: "b".into(),
            channel: "production".into(),
            workflow_script_name: "wf".into(),
            workflow_version_id: 1,
            workflow_version_number: 1,
            judge_script_name: "jd".into(),
            judge_version_id: 2,
            judge_version_number: 1,
            status: "completed".into(),
            mode: "full".into(),
            sample_size: None,
            case_filter: None,
            triggered_by: None,
            triggered_at: "2026-01-01T00:00:00.000Z".into(),
            completed_at: None,
            notes: None,
            mcp_session_id: None,
            model: None,
            system_prompt: None,
            temperature: None,
            error: None,
            metadata: serde_json::json!({}),
            idempotency_key: None,
            pass_threshold: 0.5,
            score_max: 1.0,
            total_cases: 0,
            results_count: 0,
            ok_cases: 0,
            mean_headline_score: None,
            status_breakdown: Default::default(),
            passed: 0,
            failed: 0,
            inconclusive: 0,
            missing: 0,
            pass_rate: None,
            cache_hit_cases: 0,
            total_cost_usd: 0.0,
            avg_latency_ms: None,
            total_tokens: 0,
            dimension_scores: Default::default(),
            last_result_at: None,
        }
    }

    fn row(case: &str, epoch: i64, status: ResultStatus, score: Option<f64>, cost: f64) -> CaseRow {
        CaseRow {
            case_id: case.into(),
            case_name: None,
            epoch,
            status,
            headline_score: score,
            cost_usd: cost,
        }
    }

    fn cases(rows: Vec<CaseRow>) -> RunCases {
        RunCases::from_rows(rows, Vec::new(), &[], 0.5)
    }

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
    fn epochs_fold_into_one_case() {
        let mut named = row("x", 3, Ok, Some(0.9), 0.25);
        named.case_name = Some("Case X".into());
        let rows = vec![
            row("x", 1, Ok, Some(0.2), 0.5),
            named,
            row("x", 2, WorkflowFailed, Some(1.0), 0.25),
            row("y", 1, Cached, None, 0.0),
            row("z", 1, Skipped, None, 0.0),
            row("z", 2, Skipped, None, 0.125),
            row("w", 1, Ok, Some(0.3), 0.0),
            row("w", 2, Cached, Some(0.5), 0.0),
        ];
        let dims = [(0u32, 0u32, 0.5), (1, 0, 1.0), (2, 1, 0.25)];
        let rc = RunCases::from_rows(rows, vec!["acc".into(), "tone".into()], &dims, 0.5);
        let ids: Vec<&str> = rc.cases.iter().map(|c| c.case_id.as_str()).collect();
        assert_eq!(ids, ["w", "x", "y", "z"], "ordered by case id");
        let x = &rc.cases[1];
        assert_eq!(x.epochs, 3);
        assert_eq!(
            x.score(),
            Some((0.2 + 0.9) / 2.0),
            "a failed epoch's score does not count"
        );
        assert_eq!(x.cost, 1.0, "costs add up over epochs");
        assert_eq!(x.status, WorkflowFailed, "a failure shows");
        assert_eq!(x.case_name.as_deref(), Some("Case X"));
        assert_eq!(x.verdict(0.5), Some(Verdict::Pass), "0.55 ≥ 0.5");
        assert_eq!(x.verdict(0.6), Some(Verdict::Fail));
        assert_eq!(
            x.dim(0),
            Some(0.75),
            "dimension mean over the epochs that have it"
        );
        assert_eq!(rc.cases[3].dim(1), None);
        assert_eq!(rc.cases[0].score(), Some(0.4));
        assert_eq!(rc.cases[0].status, Ok, "ok outranks cached");
        let y = &rc.cases[2];
        assert_eq!(
            (y.score(), y.verdict(0.5)),
            (None, Some(Verdict::Error)),
            "scoreless ok is an error"
        );
        let z = &rc.cases[3];
        assert_eq!((z.score(), z.verdict(0.5), z.status), (None, None, Skipped));
        assert_eq!(z.cost, 0.125);
        // Row 2 (x epoch 2) carries tone 0.25; x has acc from rows 0 and 1.
        assert_eq!(x.dim(1), Some(0.25));
    }

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

    #[test]
    fn mcnemar_matches_exact_references() {
        // 10 pass→fail, 2 fail→pass: 2·(C(12,0)+C(12,1)+C(12,2))/2¹² = 158/4096.
        let p = mcnemar_exact(10, 2).unwrap();
        assert_eq!((p * 10_000.0).round() / 10_000.0, 0.0386);
        assert!((p - 158.0 / 4096.0).abs() < 1e-15);
        assert_eq!(mcnemar_exact(2, 10), Some(p), "two-sided: symmetric");
        // Thousands of flips. References computed exactly with Python 3.11:
        //   from fractions import Fraction; from math import comb
        //   p = min(1, Fraction(2 * sum(comb(b + c, k) for k in range(min(b, c) + 1)), 2 ** (b + c)))
        //   float(p)
        for (b, c, want) in [
            (2600, 2400, 0.004883649737517518),
            (1500, 1000, 1.3325871648376252e-23),
            (2040, 1960, 0.21162328965079497),
        ] {
            let got = mcnemar_exact(b, c).unwrap();
            assert!(
                ((got - want) / want).abs() < 1e-9,
                "{b} {c}: {got} vs {want}"
            );
        }
        assert_eq!(mcnemar_exact(0, 0), None, "no flips");
        assert_eq!(mcnemar_exact(5, 5), Some(1.0), "b = c");
        assert_eq!(mcnemar_exact(3000, 3000), Some(1.0));
        assert_eq!(mcnemar_exact(1, 0), Some(1.0), "2·1/2 = 1");
        assert!((mcnemar_exact(3, 0).unwrap() - 0.25).abs() < 1e-15, "2/8");
        let tiny = mcnemar_exact(40_000, 0).unwrap();
        assert_eq!(tiny, 0.0, "underflows to 0, never NaN");
    }

    #[test]
    fn bootstrap_is_deterministic_per_pair_of_runs() {
        let deltas: Vec<f64> = (0..500)
            .map(|i| ((i * 37) % 101) as f64 / 100.0 - 0.4)
            .collect();
        let s = bootstrap_seed(3, 4);
        let x = mean_interval(&deltas, s);
        let y = mean_interval(&deltas, bootstrap_seed(3, 4));
        assert_eq!(x, y, "same comparison, same interval");
        assert_eq!((x.method, x.resamples), ("bootstrap", RESAMPLES));
        let mean = deltas.iter().sum::<f64>() / 500.0;
        assert!(x.low.unwrap() < mean && mean < x.high.unwrap());
        let seeds = [
            bootstrap_seed(3, 4),
            bootstrap_seed(4, 3),
            bootstrap_seed(3, 5),
            bootstrap_seed(2, 4),
            bootstrap_seed(1, 1),
        ];
        let unique: BTreeSet<u64> = seeds.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seeds.len(),
            "different pairs, different seeds"
        );
        assert_ne!(
            mean_interval(&deltas, bootstrap_seed(4, 3)),
            x,
            "another seed, another interval"
        );
        // The generator is the reference xoshiro256++: its first output from state {1, 2, 3, 4}.
        let mut g = Xoshiro256pp { s: [1, 2, 3, 4] };
        assert_eq!(g.next_u64(), 41_943_041);
        assert_eq!(mean_interval(&[0.3], s).low, None);
        assert_eq!(mean_interval(&[], s).high, None);
        let flat = mean_interval(&[0.0; 50], s);
        assert_eq!((flat.low, flat.high), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time() {
        // 200 samples of 80 deltas from a skewed distribution with known mean: the difference
        // of a uniform and the square of a uniform, plus 0.1 → mean 0.5 − 1/3 + 0.1.
        let truth = 0.5 - 1.0 / 3.0 + 0.1;
        let mut gen = Xoshiro256pp::new(12345);
        let mut unit = move || (gen.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let mut covered = 0;
        for k in 0..200 {
            let deltas: Vec<f64> = (0..80).map(|_| unit() - unit().powi(2) + 0.1).collect();
            let i = mean_interval(&deltas, bootstrap_seed(k, k + 1));
            if i.low.unwrap() <= truth && truth <= i.high.unwrap() {
                covered += 1;
            }
        }
        assert!((180..=198).contains(&covered), "covered {covered} of 200");
    }

    #[test]
    fn above_10000_pairs_the_interval_is_a_labelled_normal_approximation() {
        let deltas: Vec<f64> = (0..10_002).map(|i| (i % 2) as f64).collect();
        let i = mean_interval(&deltas, 7);
        assert_eq!((i.method, i.resamples), ("normal", 0));
        // mean 0.5, sample sd = sqrt(0.25 · n / (n − 1)).
        let n: f64 = 10_002.0;
        let half = Z_95 * (0.25 * n / (n - 1.0) / n).sqrt();
        assert!((i.low.unwrap() - (0.5 - half)).abs() < 1e-12);
        assert!((i.high.unwrap() - (0.5 + half)).abs() < 1e-12);
        assert_eq!(
            mean_interval(&deltas[..10_000], 7).method,
            "bootstrap",
            "10,000 pairs still bootstrap"
        );
    }

    #[test]
    fn warnings_name_bench_selection_judge_and_scale() {
        let a = run(1);
        let mut b = run(2);
        assert!(warnings(&a, &b).is_empty());
        b.bench_id = 9;
        b.judge_version_id = 7;
        b.mode = "sampled".into();
        b.case_filter = Some(vec!["x".into()]);
        b.score_max = 100.0;
        let codes: Vec<String> = warnings(&a, &b).into_iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                "different_bench",
                "different_selection",
                "different_judge_version",
                "different_score_scale"
            ]
        );
        let (mut x, mut y) = (run(1), run(2));
        x.case_filter = Some(vec!["a".into(), "b".into()]);
        y.case_filter = Some(vec!["b".into(), "a".into()]);
        assert!(warnings(&x, &y).is_empty(), "the same set in another order");
        y.case_filter = Some(vec!["a".into()]);
        assert_eq!(warnings(&x, &y)[0].code, "different_selection");
        let (x, mut y) = (run(1), run(2));
        y.total_cases = 3;
        assert_eq!(
            warnings(&x, &y)[0].code,
            "different_selection",
            "full runs of a bench that grew"
        );
    }

    #[test]
    fn n_way_flags_every_column_against_the_baseline() {
        let base = cases(vec![
            row("p", 1, Ok, Some(0.5), 0.25),
            row("q", 1, Ok, Some(0.5), 0.25),
        ]);
        let up = cases(vec![
            row("p", 1, Ok, Some(0.75), 0.5),
            row("q", 1, Ok, Some(0.5), 0.25),
            row("r", 1, Ok, Some(1.0), 0.0),
        ]);
        let down = cases(vec![row("p", 1, Ok, Some(0.25), 0.0)]);
        let all = vec![
            (run(1), base.clone()),
            (run(2), up.clone()),
            (run(3), down.clone()),
        ];
        let rep = compare_many(all.clone(), 0.0, &[]);
        assert_eq!(rep.run_ids, [1, 2, 3]);
        let ids: Vec<&str> = rep.rows.iter().map(|r| r.case_id.as_str()).collect();
        assert_eq!(ids, ["p", "q", "r"]);
        let flags = |r: &NWayRow| r.cells.iter().map(|c| c.flag.clone()).collect::<Vec<_>>();
        let s = |x: &str| Flag::parse(x);
        assert_eq!(flags(&rep.rows[0]), [None, s("improved"), s("regressed")]);
        assert_eq!(flags(&rep.rows[1]), [None, s("unchanged"), s("missing_b")]);
        assert_eq!(flags(&rep.rows[2]), [None, s("missing_a"), None]);
        assert_eq!(rep.rows[2].cells[0].status, None);
        assert_eq!(rep.rows[0].cells[1].delta, Some(0.25));
        let r1 = &rep.runs[1];
        assert_eq!(
            (
                r1.n_improved,
                r1.n_unchanged,
                r1.n_missing_a,
                r1.n_missing_b
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(
            (r1.mean_score_delta, r1.cost_delta_usd, r1.n_cases),
            (0.125, 0.25, 3)
        );
        assert_eq!(r1.mean_score, Some(2.25 / 3.0));
        let r2 = &rep.runs[2];
        assert_eq!(
            (r2.n_regressed, r2.n_missing_b, r2.mean_score_delta),
            (1, 1, -0.25)
        );
        assert_eq!(
            rep.runs[0].n_improved + rep.runs[0].n_regressed,
            0,
            "the baseline has no flags"
        );
        // A flag filter keeps rows where any column has the flag.
        let only = compare_many(all.clone(), 0.0, &[Flag::Regressed]);
        assert_eq!(only.rows.len(), 1);
        assert_eq!(
            only.runs[2].n_missing_b, 1,
            "summaries count every row, filtered or not"
        );
        let miss = compare_many(all, 0.0, &[Flag::MissingA, Flag::MissingB]);
        assert_eq!(
            miss.rows
                .iter()
                .map(|r| r.case_id.as_str())
                .collect::<Vec<_>>(),
            ["q", "r"]
        );
    }
}
