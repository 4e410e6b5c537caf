//! What the case page reads: the case with its result and scorers (texts clipped), a page of its
//! trace, and a clipped text whole.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::app_error::AppError;
use crate::model::views::{CaseHistoryPoint, TracePage};
use crate::model::{ResultDetail, Run};


/// A text that may have been cut, with the key that fetches it whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub text: String,
    pub cut: bool,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorerView {
    pub name: String,
    pub score: Option<f64>,
    pub passed: Option<bool>,
    pub reason: Option<Clip>,
    pub dimension: Option<String>,
    pub details: Option<String>,
    /// Where the judge source names this scorer (1-based), for a `#L` link.
    pub judge_line: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub run: Run,
    /// The result as the API answers it, less what is below — its output and error (clipped
    /// here) and its scorer results (as [`ScorerView`]s) — and less its raw `score` JSON.
    pub result: ResultDetail,
    /// The result's case name, else the bench case's.
    pub case_name: Option<String>,
    pub epochs: Vec<i64>,
    pub output: Option<Clip>,
    pub error: Option<Clip>,
    pub inputs: Option<Clip>,
    pub expected: Option<Clip>,
    pub tags: Vec<String>,
    pub frozen: bool,
    pub scorers: Vec<ScorerView>,
    pub history: Vec<CaseHistoryPoint>,
    pub history_svg: String,
    /// The case's flakiness on its bench (last 20 completed runs), if its verdict flips.
    pub flaky: Option<crate::model::flaky::FlakyCase>,
    /// The judge's source could not be read: why (scorers then link to the version, not to
    /// their line).
    pub judge_source_error: Option<String>,
}

#[cfg(feature = "ssr")]
fn clip(text: String, cap: usize, what: &str) -> Clip {
    let (t, cut) = crate::server::store::views::clip(&text, cap);
    Clip { text: t, cut, what: what.to_string() }
}

/// The first line of `source` naming `needle` as a whole word (1-based).
pub fn line_naming(source: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    source.lines().position(|line| {
        line.match_indices(needle).any(|(i, _)| {
            let before = line[..i].chars().next_back();
            let after = line[i + needle.len()..].chars().next();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
    }).map(|i| i + 1)
}

/// The judge's source for the scorer links, or why it could not be read (shown on the page
/// instead of silently linking nowhere).
pub fn judge_source(lookup: Result<Option<String>, AppError>) -> (String, Option<String>) {
    match lookup {
        Ok(source) => (source.unwrap_or_default(), None),
        Err(e) => (String::new(), Some(format!("The judge's source could not be read ({e}): scorers link to the version, not to their line."))),
    }
}

#[server]
pub async fn get_case_view(run_id: i64, case_id: String, epoch: i64) -> Result<CaseView, AppError> {
    use crate::domain::format::json_text;
    use crate::server::store::views::TEXT_CAP;
    let store = expect_context::<crate::server::store::Store>();
    let run = store.get_run(run_id).await?;
    let mut r = store.get_result_head(run_id, &case_id, epoch).await?;
    r.score = None;
    let case = store.get_case(run.bench_id, &case_id).await?;
    let epochs = store.result_epochs(run_id, &case_id).await?;
    let lookup = store.get_version("judge", &run.judge_script_name, run.judge_version_number).await;
    let (source, judge_source_error) = judge_source(lookup.map(|v| v.source).map_err(AppError::from));
    let scorers = std::mem::take(&mut r.scorer_results)
        .into_iter()
        .enumerate()
        .map(|(i, s)| ScorerView {
            judge_line: line_naming(&source, &s.scorer_name),
            name: s.scorer_name,
            score: s.score,
            passed: s.passed,
            reason: s.reason.map(|t| clip(t, TEXT_CAP, &format!("reason:{i}"))),
            dimension: s.dimension,
            details: s.details.as_ref().map(|d| clip(json_text(d), TEXT_CAP, "").text),
        })
        .collect();
    let history = store.case_history(run.bench_id, &case_id, 50).await?;
    let values: Vec<f64> = history.iter().rev().filter_map(|h| h.score).collect();
    let history_svg =
        crate::server::charts::sparkline("This case's score over the bench's runs", &values, run.score_max, (160, 32));
    let flaky = store
        .flaky_cases(&run.bench_name, None, crate::server::store::compare::FLAKY_LAST)
        .await?
        .cases
        .iter()
        .find(|c| c.case_id == case_id)
        .cloned();
    let text = |v: Option<&serde_json::Value>, what: &str| v.map(|v| clip(json_text(v), TEXT_CAP, what));
    Ok(CaseView {
        case_name: r.case_name.clone().or_else(|| case.as_ref().and_then(|c| c.name.clone())),
        epochs,
        output: text(r.workflow_output.take().as_ref(), "output"),
        error: r.error.take().map(|e| clip(e, TEXT_CAP, "error")),
        inputs: text(case.as_ref().and_then(|c| c.inputs.as_ref()), "inputs"),
        expected: text(case.as_ref().and_then(|c| c.expected_output.as_ref()), "expected"),
        tags: case.as_ref().map(|c| c.tags.clone()).unwrap_or_default(),
        frozen: case.as_ref().is_some_and(|c| c.frozen),
        scorers,
        history,
        history_svg,
        flaky,
        judge_source_error,
        result: r,
        run,
    })
}

#[server]
pub async fn get_trace_page(run_id: i64, case_id: String, epoch: i64, offset: i64) -> Result<TracePage, AppError> {
    use super::TRACE_PAGE;
    let store = expect_context::<crate::server::store::Store>();
    let rid = store.result_id(run_id, &case_id, epoch).await?;
    Ok(store.trace_page(rid, offset.max(0), TRACE_PAGE).await?)
}

#[server]
pub async fn get_full_text(run_id: i64, case_id: String, epoch: i64, what: String) -> Result<String, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    Ok(store.result_text(run_id, &case_id, epoch, &what).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_naming_finds_whole_words_only() {
        let src = "def helper():\n    pass\n\n@scorer\ndef accuracy_strict(x):\n    ...\ndef accuracy(x):\n";
        assert_eq!(line_naming(src, "accuracy"), Some(7));
        assert_eq!(line_naming(src, "accuracy_strict"), Some(5));
        assert_eq!(line_naming(src, "missing"), None);
        assert_eq!(line_naming(src, ""), None);
        assert_eq!(line_naming("x = \"tone\"", "tone"), Some(1));
    }

    #[test]
    fn a_judge_source_that_cannot_be_read_is_said_not_dropped() {
        assert_eq!(judge_source(Ok(Some("def judge(): ...".into()))), ("def judge(): ...".to_string(), None));
        assert_eq!(judge_source(Ok(None)), (String::new(), None), "a version without a source has no lines");
        let (source, why) = judge_source(Err(AppError::internal("database busy, retry later")));
        assert!(source.is_empty());
        assert!(why.as_deref().is_some_and(|w| w.contains("database busy, retry later")), "{why:?}");
    }
}
