//! Is a comparison's mean delta real, and how small a change could it see: the significance
//! block of the compare report.

use serde::{Deserialize, Serialize};

/// Is the mean score delta real? A paired interval of it and McNemar's test on verdict flips.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Significance {
    /// `bootstrap` (paired percentile bootstrap) up to 10,000 pairs, `normal` (normal
    /// approximation) above.
    pub method: String,
    /// 0.95.
    pub confidence: f64,
    /// The interval of the mean delta; null with fewer than 2 pairs.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Cases scored in both runs.
    pub n_pairs: i64,
    /// Bootstrap resamples drawn (0 for `normal` or when there is no interval).
    pub resamples: i64,
    /// The RNG seed the bootstrap used (derived from the run ids, so a comparison always gives
    /// the same interval).
    pub seed: u64,
    /// The interval excludes 0.
    pub significant: bool,
    /// Exact two-sided McNemar p-value on pass↔fail flips (errors excluded); null without flips.
    pub mcnemar_p: Option<f64>,
    pub pass_to_fail: i64,
    pub fail_to_pass: i64,
    /// Sample standard deviation of the paired deltas; null with fewer than 2 pairs.
    #[serde(default)]
    pub delta_sd: Option<f64>,
    /// The smallest mean delta these pairs detect at 80% power, α = 0.05 two-sided:
    /// (z₀.₉₇₅ + z₀.₈) · delta_sd / √n_pairs. A smaller true change would usually go unseen.
    #[serde(default)]
    pub min_detectable_delta: Option<f64>,
    /// The smallest pass-rate change McNemar's test detects at 80% power and α = 0.05, given
    /// how many of the pass/fail pairs flipped; null without flips.
    #[serde(default)]
    pub min_detectable_pass_rate_delta: Option<f64>,
    /// `?target_delta=` as asked, and the pairs needed to detect a mean delta that size with
    /// this spread (80% power, α = 0.05); null when not asked.
    #[serde(default)]
    pub target_delta: Option<f64>,
    #[serde(default)]
    pub cases_needed: Option<i64>,
}

impl Significance {
    /// Fill `target_delta` and `cases_needed` for a delta the reader asked about.
    pub fn with_target(&mut self, target: Option<f64>) {
        self.target_delta = target;
        self.cases_needed = target.and_then(|t| crate::domain::compare::stats::cases_needed(self.delta_sd, t));
    }
}
