//! N runs side by side, the first the baseline (SPEC §4 "N-way"): one row per case of the
//! union, every other column flagged against the baseline, and a summary per run.

use super::flags::{score_flag, Counts};
use super::union::CaseUnion;
use super::{warnings, CaseAgg, RunCases};
use crate::model::compare::*;
use crate::model::Run;

/// N runs, the first the baseline (SPEC §4 "N-way"). `flag_filter` keeps a row when any
/// non-baseline column has one of its flags (empty: every row). `epsilon` must be finite and ≥ 0.
pub fn compare_many(runs: Vec<(Run, RunCases)>, epsilon: f64, flag_filter: &[Flag]) -> NWayReport {
    let cases: Vec<&[CaseAgg]> = runs.iter().map(|(_, c)| c.cases.as_slice()).collect();
    let thresholds: Vec<f64> = runs.iter().map(|(_, c)| c.pass_threshold).collect();
    let mut columns: Vec<Column> = runs.iter().map(|_| Column::default()).collect();
    let mut rows = Vec::new();
    for here in CaseUnion::of(&cases).rows() {
        let at = |k: usize| here[k].map(|i| &cases[k][i as usize]);
        let base = at(0);
        let cells: Vec<NWayCell> = (0..here.len())
            .map(|k| cell(k, base, at(k), thresholds[k], epsilon))
            .collect();
        let mut keep = flag_filter.is_empty();
        for (column, c) in columns.iter_mut().zip(&cells) {
            column.add(c);
            keep |= c.flag.is_some_and(|f| flag_filter.contains(&f));
        }
        if keep {
            rows.push(row(&cases, here, cells));
        }
    }
    let summaries = summaries(&runs, columns);
    NWayReport {
        run_ids: runs.iter().map(|(r, _)| r.id).collect(),
        epsilon,
        flag_filter: flag_filter.to_vec(),
        runs: summaries,
        rows,
        warnings: against_baseline(&runs),
    }
}

/// Column `k`'s cell of a case: its score, and against the baseline's its delta and flag (none
/// in the baseline's own column, nor where neither the baseline nor this run has the case).
fn cell(
    k: usize,
    base: Option<&CaseAgg>,
    c: Option<&CaseAgg>,
    pass_threshold: f64,
    epsilon: f64,
) -> NWayCell {
    let base_score = base.and_then(CaseAgg::score);
    let score = c.and_then(CaseAgg::score);
    let delta = match (base_score, score) {
        (Some(x), Some(y)) if k > 0 => Some(y - x),
        _ => None,
    };
    let flag = (k > 0 && (base.is_some() || c.is_some()))
        .then(|| score_flag(base.is_some(), c.is_some(), base_score, score, epsilon));
    NWayCell {
        score,
        status: c.map(|c| c.status),
        verdict: c.and_then(|c| c.verdict(pass_threshold)),
        cost: c.map_or(0.0, |c| c.cost),
        delta,
        flag,
    }
}

/// A kept row: labelled by the newest column that names the case, else by its id.
fn row(cases: &[&[CaseAgg]], here: &[Option<u32>], cells: Vec<NWayCell>) -> NWayRow {
    let of = |k: usize, i: u32| &cases[k][i as usize];
    let named = here
        .iter()
        .enumerate()
        .rev()
        .find_map(|(k, idx)| idx.and_then(|i| of(k, i).case_name.clone()));
    let id = here
        .iter()
        .enumerate()
        .find_map(|(k, idx)| idx.map(|i| of(k, i).case_id.clone()))
        .unwrap_or_default();
    NWayRow {
        case_label: named.unwrap_or_else(|| id.clone()),
        case_id: id,
        cells,
    }
}

/// A column's counts against the baseline, over every case of the union (filtered or not).
#[derive(Default)]
struct Column {
    flags: Counts<Flag>,
    delta_sum: f64,
    deltas: i64,
}

impl Column {
    fn add(&mut self, c: &NWayCell) {
        if let Some(f) = c.flag {
            self.flags.add(f);
        }
        if let Some(d) = c.delta {
            self.delta_sum += d;
            self.deltas += 1;
        }
    }
}

fn summaries(runs: &[(Run, RunCases)], columns: Vec<Column>) -> Vec<NWayRunSummary> {
    let cost = |c: &RunCases| -> f64 { c.cases.iter().map(|c| c.cost).sum() };
    let base_cost = runs.first().map_or(0.0, |(_, c)| cost(c));
    runs.iter()
        .zip(columns)
        .enumerate()
        .map(|(k, ((run, c), col))| {
            let scores: Vec<f64> = c.cases.iter().filter_map(CaseAgg::score).collect();
            let cost_usd = cost(c);
            NWayRunSummary {
                run: run.clone(),
                mean_score: (!scores.is_empty())
                    .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
                pass_rate: run.pass_rate,
                cost_usd,
                n_cases: c.cases.len() as i64,
                mean_score_delta: if col.deltas == 0 {
                    0.0
                } else {
                    col.delta_sum / col.deltas as f64
                },
                cost_delta_usd: if k == 0 { 0.0 } else { cost_usd - base_cost },
                n_improved: col.flags.get(Flag::Improved),
                n_regressed: col.flags.get(Flag::Regressed),
                n_unchanged: col.flags.get(Flag::Unchanged),
                n_missing_a: col.flags.get(Flag::MissingA),
                n_missing_b: col.flags.get(Flag::MissingB),
            }
        })
        .collect()
}

/// Each run's warnings against the baseline, tagged with the run.
fn against_baseline(runs: &[(Run, RunCases)]) -> Vec<NWayWarning> {
    let Some((base, _)) = runs.first() else {
        return Vec::new();
    };
    runs.iter()
        .skip(1)
        .flat_map(|(run, _)| {
            warnings(base, run).into_iter().map(|w| NWayWarning {
                run_id: run.id,
                code: w.code,
                message: w.message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{test_cases as cases, test_row as row, test_run as run};
    use super::*;
    use crate::domain::ResultStatus::*;

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
