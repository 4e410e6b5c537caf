//! The compare page's server functions: a page of a pairwise or N-way comparison (rows kept,
//! sorted and paged as the URL asks), and one case's word diffs.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::app_error::AppError;
use crate::model::compare::{CaseDiff, CompareReport, NWayReport};
use crate::model::compare_query::CompareQuery;

/// A page of a pairwise comparison: the report with the page's rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairwiseView {
    pub report: CompareReport,
    /// Rows after the flag filter, before paging.
    pub rows_total: usize,
    /// The dimension deltas as a bar chart (dimensions scored in both runs, on either basis).
    pub dims_svg: Option<String>,
}

/// A page of an N-way comparison: the report with the page's rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NWayView {
    pub report: NWayReport,
    pub rows_total: usize,
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_compare(query: CompareQuery) -> Result<PairwiseView, AppError> {
    use super::COMPARE_PAGE;
    use crate::domain::compare::rows::filter_and_sort;
    use crate::domain::paging::Paging;
    let store = expect_context::<crate::server::store::Store>();
    let (a, b) = match (&query.channels, query.pair()) {
        (Some(c), _) => (store.latest_full_run(&c.bench, &c.x, "x").await?, store.latest_full_run(&c.bench, &c.y, "y").await?),
        (None, Some(pair)) => pair,
        (None, None) => return Err(AppError::invalid("runs", "name two runs")),
    };
    let opts = crate::server::store::compare::CompareOptions { epsilon: query.epsilon, case_dimensions: false };
    let mut report = store.compare_view(a, b, opts, query.target_delta).await?;
    let mut rows = std::mem::take(&mut report.per_case);
    filter_and_sort(&mut rows, &query.flags, query.sort);
    let rows_total = rows.len();
    report.per_case = Paging::new(query.page, rows_total, COMPARE_PAGE).take(rows);
    if let Some(f) = report.flaky.as_mut() {
        // Only the page's rows are shown; the counts stay whole.
        f.flaky_case_ids.retain(|id| report.per_case.iter().any(|c| &c.case_id == id));
    }
    let dims_svg = dimension_chart(&report);
    Ok(PairwiseView { report, rows_total, dims_svg })
}

/// Bars of the dimensions both runs have a mean of: paired by case on the `cases` basis, the
/// runs' own means on the `runs` basis (the default, where no case is paired and `n` is 0).
#[cfg(feature = "ssr")]
fn dimension_chart(report: &CompareReport) -> Option<String> {
    let deltas: Vec<(String, f64)> = report
        .aggregate
        .dimension_deltas
        .iter()
        .filter(|d| d.mean_a.is_some() && d.mean_b.is_some())
        .map(|d| (d.dimension.clone(), d.delta))
        .collect();
    if deltas.is_empty() {
        return None;
    }
    let m = deltas.iter().map(|(_, d)| d.abs()).fold(0.0f64, f64::max).max(report.run_a.score_max * 0.02);
    let title = if report.aggregate.dimensions_paired() {
        "Mean score change per dimension (b − a), over cases scored in both"
    } else {
        "Mean score change per dimension (b − a), each run's own mean"
    };
    Some(crate::server::charts::bars(title, &deltas, (-m * 1.15, m * 1.15), (560, 30 + 26 * deltas.len() as u32)))
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_compare_many(query: CompareQuery) -> Result<NWayView, AppError> {
    use super::COMPARE_PAGE;
    use crate::domain::paging::Paging;
    let store = expect_context::<crate::server::store::Store>();
    let flags = query.score_flags()?;
    let mut report = store.compare_many(&query.runs, query.epsilon, &flags).await?;
    let rows = std::mem::take(&mut report.rows);
    let rows_total = rows.len();
    report.rows = Paging::new(query.page, rows_total, COMPARE_PAGE).take(rows);
    Ok(NWayView { report, rows_total })
}

#[server]
pub async fn get_case_diff(a: i64, b: i64, case_id: String) -> Result<CaseDiff, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    Ok(store.compare_case_diff(a, b, &case_id).await?)
}
