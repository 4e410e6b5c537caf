//! Run aggregates as running sums. A batch of results adds its rows' contributions and takes
//! away those of the rows it replaces; the same sums, folded over every row, give the exact
//! figures a finished run is recomputed with. Means and rates are derived from the sums.

use std::collections::BTreeMap;

use super::{ResultStatus, Verdict};

/// What one result row adds to its run's aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    pub status: ResultStatus,
    pub verdict: Option<Verdict>,
    pub headline_score: Option<f64>,
    pub cost_usd: f64,
    pub duration_ms: Option<i64>,
    pub tokens_used: i64,
    pub cache_hit: bool,
    pub dimensions: Vec<(String, f64)>,
}

/// The sums a run keeps. Used both as a stored state and as a delta to apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AggSums {
    pub results_count: i64,
    pub cases_with_results: i64,
    /// Rows per status, in `ResultStatus::ALL` order.
    pub by_status: [i64; 5],
    pub passed: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub scored_count: i64,
    pub score_sum: f64,
    pub cache_hit_cases: i64,
    pub total_cost_usd: f64,
    pub latency_count: i64,
    pub latency_sum: i64,
    pub total_tokens: i64,
    /// dimension → (sum, count)
    pub dimensions: BTreeMap<String, (f64, i64)>,
}

fn status_slot(s: ResultStatus) -> usize {
    ResultStatus::ALL.iter().position(|x| *x == s).expect("status in ALL")
}

impl AggSums {
    pub fn add(&mut self, c: &Contribution) {
        self.apply(c, 1);
    }

    pub fn sub(&mut self, c: &Contribution) {
        self.apply(c, -1);
    }

    fn apply(&mut self, c: &Contribution, sign: i64) {
        let f = sign as f64;
        self.results_count += sign;
        self.by_status[status_slot(c.status)] += sign;
        match c.verdict {
            Some(Verdict::Pass) => self.passed += sign,
            Some(Verdict::Fail) => self.failed += sign,
            Some(Verdict::Error) => self.inconclusive += sign,
            None => {}
        }
        if c.status.is_ok() {
            if let Some(s) = c.headline_score {
                self.scored_count += sign;
                self.score_sum += f * s;
            }
        }
        if c.cache_hit || c.status == ResultStatus::Cached {
            self.cache_hit_cases += sign;
        }
        self.total_cost_usd += f * c.cost_usd;
        if let Some(d) = c.duration_ms {
            self.latency_count += sign;
            self.latency_sum += sign * d;
        }
        self.total_tokens += sign * c.tokens_used;
        for (dim, score) in &c.dimensions {
            let e = self.dimensions.entry(dim.clone()).or_insert((0.0, 0));
            e.0 += f * score;
            e.1 += sign;
        }
    }

    /// Derived figures of SPEC §4 for a run that selected `total_cases` cases.
    pub fn derive(&self, total_cases: i64) -> Derived {
        let ok_cases = self.by_status[0] + self.by_status[1];
        let judged = self.passed + self.failed + self.inconclusive;
        Derived {
            ok_cases,
            mean_headline_score: (self.scored_count > 0)
                .then(|| self.score_sum / self.scored_count as f64),
            pass_rate: (judged > 0).then(|| self.passed as f64 / judged as f64),
            missing: (total_cases - self.cases_with_results).max(0),
            avg_latency_ms: (self.latency_count > 0)
                .then(|| self.latency_sum as f64 / self.latency_count as f64),
            status_breakdown: ResultStatus::ALL
                .iter()
                .zip(self.by_status)
                .filter(|(_, n)| *n != 0)
                .map(|(s, n)| (s.as_str().to_string(), n))
                .collect(),
            dimension_scores: self
                .dimensions
                .iter()
                .filter(|(_, (_, n))| *n > 0)
                .map(|(d, (sum, n))| (d.clone(), sum / *n as f64))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    pub ok_cases: i64,
    pub mean_headline_score: Option<f64>,
    pub pass_rate: Option<f64>,
    pub missing: i64,
    pub avg_latency_ms: Option<f64>,
    pub status_breakdown: BTreeMap<String, i64>,
    pub dimension_scores: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verdict;

    fn c(status: ResultStatus, score: Option<f64>, cost: f64, ms: Option<i64>, dims: &[(&str, f64)]) -> Contribution {
        Contribution {
            status,
            verdict: verdict(status, score, 0.5),
            headline_score: score,
            cost_usd: cost,
            duration_ms: ms,
            tokens_used: 10,
            cache_hit: false,
            dimensions: dims.iter().map(|(d, s)| (d.to_string(), *s)).collect(),
        }
    }

    #[test]
    fn sums_and_derived_figures() {
        let rows = [
            c(ResultStatus::Ok, Some(0.9), 0.01, Some(100), &[("acc", 1.0)]),
            c(ResultStatus::Ok, Some(0.2), 0.02, Some(300), &[("acc", 0.0), ("tone", 0.5)]),
            c(ResultStatus::Cached, Some(0.7), 0.0, None, &[]),
            c(ResultStatus::WorkflowFailed, None, 0.005, Some(50), &[]),
            c(ResultStatus::Skipped, None, 0.0, None, &[]),
        ];
        let mut s = AggSums::default();
        rows.iter().for_each(|r| s.add(r));
        s.cases_with_results = 5;
        let d = s.derive(7);
        assert_eq!(d.ok_cases, 3);
        assert!((d.mean_headline_score.unwrap() - 0.6).abs() < 1e-12);
        assert_eq!((s.passed, s.failed, s.inconclusive), (2, 1, 1));
        assert_eq!(d.pass_rate, Some(0.5));
        assert_eq!(d.missing, 2);
        assert_eq!(d.avg_latency_ms, Some(150.0));
        assert_eq!(s.cache_hit_cases, 1);
        assert!((s.total_cost_usd - 0.035).abs() < 1e-12);
        assert_eq!(s.total_tokens, 50);
        assert_eq!(d.status_breakdown.get("ok"), Some(&2));
        assert_eq!(d.status_breakdown.get("judge_failed"), None, "zeros are omitted");
        assert_eq!(d.dimension_scores.get("acc"), Some(&0.5));
        assert_eq!(d.dimension_scores.get("tone"), Some(&0.5));
    }

    #[test]
    fn subtracting_a_row_undoes_it() {
        let a = c(ResultStatus::Ok, Some(0.9), 0.25, Some(100), &[("acc", 1.0)]);
        let b = c(ResultStatus::JudgeFailed, None, 0.5, Some(10), &[("acc", 0.0)]);
        let mut s = AggSums::default();
        s.add(&a);
        let before = s.clone();
        s.add(&b);
        s.sub(&b);
        assert_eq!(s.by_status, before.by_status);
        assert_eq!(s.total_cost_usd, before.total_cost_usd);
        assert_eq!(s.dimensions.get("acc"), Some(&(1.0, 1)));
        s.sub(&a);
        let d = s.derive(1);
        assert_eq!(d.mean_headline_score, None);
        assert_eq!(d.pass_rate, None);
        assert!(d.dimension_scores.is_empty());
        assert!(d.status_breakdown.is_empty());
    }
}
