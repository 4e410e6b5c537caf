//! Flaky cases: a case whose verdict changes while nothing it depends on changed — across the
//! epochs of one run, or across runs on the same workflow version, judge version and inputs.
//! Only pass and fail count (an error is not a verdict, as in McNemar's test).

use crate::model::compare::{CompareCase, Flag};
use crate::model::flaky::FlakyInCompare;

/// One verdict of a case. `group` numbers the conditions it was judged under (workflow
/// version, judge version, inputs hash): verdicts of different groups are never compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub group: u32,
    /// The run's place among the runs considered, oldest first.
    pub run_pos: u32,
    pub epoch: i64,
    pub pass: bool,
}

/// How a case's verdict moved where its conditions did not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flakiness {
    /// Changes of verdict from one observation to the next under the same conditions.
    pub flips: i64,
    /// Verdicts counted: those under conditions that saw both verdicts.
    pub passes: i64,
    pub fails: i64,
    /// Runs those verdicts came from.
    pub runs: i64,
    /// Some run's epochs disagree.
    pub within_run: bool,
}

impl Flakiness {
    pub fn pass_rate(&self) -> f64 {
        self.passes as f64 / (self.passes + self.fails).max(1) as f64
    }
}

/// The flakiness of one case's verdicts, or None when no conditions saw both verdicts.
pub fn flakiness(obs: &mut [Observation]) -> Option<Flakiness> {
    obs.sort_unstable_by_key(|o| (o.group, o.run_pos, o.epoch));
    let mut f = Flakiness { flips: 0, passes: 0, fails: 0, runs: 0, within_run: false };
    for group in obs.chunk_by(|x, y| x.group == y.group) {
        let passes = group.iter().filter(|o| o.pass).count() as i64;
        if passes == 0 || passes == group.len() as i64 {
            continue;
        }
        f.passes += passes;
        f.fails += group.len() as i64 - passes;
        f.flips += group.windows(2).filter(|w| w[0].pass != w[1].pass).count() as i64;
        for run in group.chunk_by(|x, y| x.run_pos == y.run_pos) {
            f.runs += 1;
            f.within_run |= run.iter().any(|o| o.pass != run[0].pass);
        }
    }
    (f.flips > 0).then_some(f)
}

/// Of a comparison's regressions and improvements, those of cases known to be flaky.
pub fn in_compare(rows: &[CompareCase], is_flaky: impl Fn(&str) -> bool) -> FlakyInCompare {
    let mut out = FlakyInCompare::default();
    for r in rows {
        let flaky = is_flaky(&r.case_id);
        match r.flag {
            Flag::Regressed => {
                out.regressions += 1;
                out.regressions_flaky += flaky as i64;
            }
            Flag::Improved => {
                out.improvements += 1;
                out.improvements_flaky += flaky as i64;
            }
            _ => {}
        }
        if flaky {
            out.flaky_case_ids.push(r.case_id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(group: u32, run_pos: u32, epoch: i64, pass: bool) -> Observation {
        Observation { group, run_pos, epoch, pass }
    }

    #[test]
    fn flakiness_table() {
        struct Case {
            what: &'static str,
            obs: Vec<Observation>,
            want: Option<(i64, i64, i64, i64, bool)>,
        }
        let cases = vec![
            Case { what: "steady pass", obs: vec![o(0, 0, 1, true), o(0, 1, 1, true), o(0, 2, 1, true)], want: None },
            Case { what: "no verdicts", obs: vec![], want: None },
            Case {
                what: "P F P across runs: two flips",
                obs: vec![o(0, 2, 1, true), o(0, 0, 1, true), o(0, 1, 1, false)],
                want: Some((2, 2, 1, 3, false)),
            },
            Case {
                what: "epochs of one run disagree",
                obs: vec![o(0, 0, 1, true), o(0, 0, 2, false), o(0, 0, 3, true)],
                want: Some((2, 2, 1, 1, true)),
            },
            Case {
                what: "a new workflow version fixed it: not flaky",
                obs: vec![o(0, 0, 1, false), o(0, 1, 1, false), o(1, 2, 1, true), o(1, 3, 1, true)],
                want: None,
            },
            Case {
                what: "only the flaky group counts",
                obs: vec![o(0, 0, 1, false), o(0, 1, 1, false), o(1, 2, 1, true), o(1, 3, 1, false), o(1, 4, 1, true), o(1, 5, 1, true)],
                want: Some((2, 3, 1, 4, false)),
            },
            Case {
                what: "P P F F: one flip",
                obs: vec![o(3, 0, 1, true), o(3, 1, 1, true), o(3, 2, 1, false), o(3, 3, 1, false)],
                want: Some((1, 2, 2, 4, false)),
            },
        ];
        for mut c in cases {
            let got = flakiness(&mut c.obs).map(|f| (f.flips, f.passes, f.fails, f.runs, f.within_run));
            assert_eq!(got, c.want, "{}", c.what);
        }
        let f = flakiness(&mut [o(0, 0, 1, true), o(0, 1, 1, false), o(0, 2, 1, false), o(0, 3, 1, false)]).unwrap();
        assert_eq!(f.pass_rate(), 0.25);
    }
}
