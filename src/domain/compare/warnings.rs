//! Why comparing two runs may mislead: different benches, case selections, judge versions or
//! score scales.

use std::collections::BTreeSet;

use crate::model::compare::CompareWarning;
use crate::model::Run;

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

#[cfg(test)]
mod tests {
    use super::super::test_run as run;
    use super::*;

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
}
