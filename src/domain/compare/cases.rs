//! One run's result rows folded into per-case aggregates: epochs averaged, costs summed, the most
//! telling status kept, dimension scores summed per case.

use crate::domain::{ResultStatus, Verdict};

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
    fn new(first: &mut CaseRow, ndims: usize) -> CaseAgg {
        CaseAgg {
            case_id: std::mem::take(&mut first.case_id),
            case_name: first.case_name.take(),
            epochs: 0,
            score_sum: 0.0,
            scored: 0,
            cost: 0.0,
            status: first.status,
            errored: false,
            dims: if ndims == 0 {
                Vec::new()
            } else {
                vec![(0.0, 0); ndims]
            },
        }
    }

    /// Fold one more epoch in.
    fn add(&mut self, r: &mut CaseRow) {
        self.epochs += 1;
        self.cost += r.cost_usd;
        if status_rank(r.status) > status_rank(self.status) {
            self.status = r.status;
        }
        if self.case_name.is_none() {
            self.case_name = r.case_name.take();
        }
        match (r.status.is_ok(), r.headline_score) {
            (true, Some(s)) => {
                self.score_sum += s;
                self.scored += 1;
            }
            (true, None) => self.errored = true,
            (false, _) => self.errored |= r.status != ResultStatus::Skipped,
        }
    }

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

    /// The mean of dimension `i` over the epochs that have it.
    pub fn dim(&self, i: usize) -> Option<f64> {
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
            if !cases.last().is_some_and(|c| c.case_id == r.case_id) {
                cases.push(CaseAgg::new(r, ndims));
            }
            case_of_row[i as usize] = (cases.len() - 1) as u32;
            cases.last_mut().expect("a case was pushed").add(r);
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

#[cfg(test)]
mod tests {
    use super::super::test_row as row;
    use super::*;
    use ResultStatus::*;

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
}
