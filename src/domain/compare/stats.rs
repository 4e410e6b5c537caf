//! The statistics of a comparison: a seeded xoshiro256++ stream, the paired bootstrap (or
//! normal) interval of the mean score delta, McNemar's exact test on verdict flips, and the
//! power of both (the smallest effect this many cases could detect, the cases an effect needs).

use super::{BOOTSTRAP_MAX_PAIRS, RESAMPLES};

/// z for a two-sided 95% normal interval (z₀.₉₇₅).
const Z_95: f64 = 1.959_963_984_540_054;
/// z₀.₈: 80% power.
const Z_80: f64 = 0.841_621_233_572_914_3;

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

/// The sample standard deviation of `deltas`; None with fewer than 2.
pub fn sample_sd(deltas: &[f64]) -> Option<f64> {
    let n = deltas.len();
    if n < 2 {
        return None;
    }
    let mean = deltas.iter().sum::<f64>() / n as f64;
    let var = deltas.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / (n - 1) as f64;
    Some(var.sqrt())
}

/// The smallest mean paired delta `n` pairs with this spread detect at 80% power and
/// α = 0.05 two-sided (normal approximation): (z₀.₉₇₅ + z₀.₈) · sd / √n. None with fewer than
/// 2 pairs.
pub fn min_detectable_delta(sd: Option<f64>, n: usize) -> Option<f64> {
    let sd = sd?;
    (n >= 2).then(|| (Z_95 + Z_80) * sd / (n as f64).sqrt())
}

/// The pairs needed to detect a mean delta of `target` at 80% power and α = 0.05 when the
/// deltas spread as `sd`: ⌈((z₀.₉₇₅ + z₀.₈) · sd / target)²⌉, at least 2. None without a
/// spread or for a target that is not a positive number; 2 when the deltas do not vary.
pub fn cases_needed(sd: Option<f64>, target: f64) -> Option<i64> {
    let sd = sd?;
    if !(target.is_finite() && target > 0.0) {
        return None;
    }
    let n = ((Z_95 + Z_80) * sd / target).powi(2).ceil();
    Some(if n.is_finite() { (n as i64).max(2) } else { i64::MAX })
}

/// The smallest pass-rate difference McNemar's test detects at 80% power and α = 0.05 among
/// `n` pass/fail pairs of which `discordant` flipped (Connor 1987: n = (z₀.₉₇₅√ψ + z₀.₈√(ψ − δ²))² / δ²,
/// ψ the discordant share, solved for δ). None without pairs, without flips, or when even δ = ψ
/// (every flip one way) would not be detected.
pub fn mcnemar_min_detectable(discordant: u64, n: u64) -> Option<f64> {
    if n == 0 || discordant == 0 {
        return None;
    }
    let psi = discordant as f64 / n as f64;
    let root_n = (n as f64).sqrt();
    // Increasing in δ on (0, ψ]: δ√n grows, √(ψ − δ²) shrinks.
    let gap = |d: f64| d * root_n - Z_95 * psi.sqrt() - Z_80 * (psi - d * d).max(0.0).sqrt();
    if gap(psi) < 0.0 {
        return None;
    }
    let (mut lo, mut hi) = (0.0, psi);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if gap(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

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
    fn power_matches_textbook_values() {
        // The "2.8 standard errors" rule: (1.95996 + 0.84162) · 1 / √100.
        let d = min_detectable_delta(Some(1.0), 100).unwrap();
        assert!((d - 0.280_158_5).abs() < 1e-6, "{d}");
        assert_eq!(min_detectable_delta(Some(1.0), 1), None);
        assert_eq!(min_detectable_delta(None, 100), None);
        // Effect size d = 0.5 at 80% power, α = 0.05: 31.4 pairs by the normal formula → 32;
        // d = 0.2 → 196.2 → 197 (Cohen's tables give 199 with the t correction).
        assert_eq!(cases_needed(Some(1.0), 0.5), Some(32));
        assert_eq!(cases_needed(Some(1.0), 0.2), Some(197));
        assert_eq!(cases_needed(Some(0.0), 0.1), Some(2), "no spread: any delta shows");
        assert_eq!(cases_needed(Some(1.0), 0.0), None);
        assert_eq!(cases_needed(Some(1.0), -0.1), None);
        assert_eq!(cases_needed(None, 0.1), None);
        // Round trip: the detectable delta of the needed n is at most the target.
        let n = cases_needed(Some(0.3), 0.05).unwrap();
        assert!(min_detectable_delta(Some(0.3), n as usize).unwrap() <= 0.05);
        assert!(min_detectable_delta(Some(0.3), n as usize - 1).unwrap() > 0.05);
        // Sample sd with n − 1: of 1, 2, 3, 4 it is √(5/3).
        assert!((sample_sd(&[1.0, 2.0, 3.0, 4.0]).unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(sample_sd(&[1.0]), None);
    }

    #[test]
    fn mcnemar_power_inverts_connors_sample_size() {
        // Connor (1987): ψ = 0.2, δ = 0.1 needs (1.96·√0.2 + 0.8416·√0.19)² / 0.01 = 154.6 → 155 pairs.
        let n: f64 = (1.959_964 * 0.2f64.sqrt() + 0.841_621 * 0.19f64.sqrt()).powi(2) / 0.01;
        assert!((n - 154.6).abs() < 0.05, "{n}");
        // So 155 pairs with 31 flips (ψ = 0.2) detect a little under 0.1; 154 a little over.
        let at = |n: u64| mcnemar_min_detectable((n as f64 * 0.2).round() as u64, n).unwrap();
        let d155 = mcnemar_min_detectable(31, 155).unwrap();
        assert!(d155 < 0.1 && d155 > 0.099, "{d155}");
        assert!(at(1000) < d155, "more pairs, smaller effects");
        assert_eq!(mcnemar_min_detectable(0, 100), None, "no flips: no discordance to test");
        assert_eq!(mcnemar_min_detectable(1, 1), None, "one pair can never reach p < 0.05");
        assert_eq!(mcnemar_min_detectable(3, 0), None);
    }
}
