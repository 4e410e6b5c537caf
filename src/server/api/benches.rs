//! Bench-level analysis routes: `GET /api/benches/{bench}/flaky` (cases whose verdict flips
//! under unchanged conditions) and `GET /api/benches/{bench}/compare?x=&y=` (the latest
//! completed full run of channel x against that of channel y, resolved at each request).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use super::extract::{last_value, query_pairs};
use crate::model::flaky::FlakyReport;
use crate::model::{CompareReport, ErrorBody};
use crate::server::auth::CanRead;
use crate::server::state::AppState;
use crate::server::store::compare::CompareOptions;
use crate::server::store::flaky::MAX_LAST;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(flaky)).routes(routes!(compare_channels))
}

/// The last value of `key` that is not empty (an empty channel filter is no filter).
fn get_text<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    last_value(pairs, key).filter(|v| !v.is_empty())
}

/// The flaky cases of a bench: a case's verdict changed across the epochs of a run, or across
/// its recent completed runs on the same workflow version, judge version and inputs. Most flips first.
#[utoipa::path(get, path = "/benches/{bench}/flaky", tag = "benches",
    params(("bench" = String, Path), ("channel" = Option<String>, Query, description = "only runs on this channel"),
           ("last" = Option<i64>, Query, minimum = 1, maximum = 200, description = "recent completed runs to look at; default 20")),
    responses((status = 200, body = FlakyReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn flaky(_: CanRead, State(s): State<AppState>, Path(bench): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Json<FlakyReport>> {
    let pairs = query_pairs(q)?;
    let last = match last_value(&pairs, "last") {
        None => 20,
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LAST).contains(n))
            .ok_or_else(|| ApiError::invalid("last", format!("'{v}' is not a whole number from 1 to {MAX_LAST}")))?,
    };
    let report = s.store.flaky_cases(&bench, get_text(&pairs, "channel"), last).await?;
    Ok(Json((*report).clone()))
}

/// Channel x against channel y as a living link: each channel's latest completed full run,
/// resolved now (`run_a_id` and `run_b_id` say which), compared as `/api/runs/{a}/compare/{b}`.
#[utoipa::path(get, path = "/benches/{bench}/compare", tag = "benches",
    params(("bench" = String, Path), ("x" = String, Query, description = "the baseline channel", min_length = 1),
           ("y" = String, Query, description = "the channel compared with it", min_length = 1),
           ("target_delta" = Option<f64>, Query, description = "a mean delta to detect: significance.cases_needed", exclusive_minimum = 0)),
    responses((status = 200, body = CompareReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn compare_channels(
    _: CanRead,
    State(s): State<AppState>,
    Path(bench): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<CompareReport>> {
    let pairs = query_pairs(q)?;
    let x = get_text(&pairs, "x").ok_or_else(|| ApiError::invalid("x", "name the baseline channel: ?x=canary&y=staging"))?;
    let y = get_text(&pairs, "y").ok_or_else(|| ApiError::invalid("y", "name the channel to compare: ?x=canary&y=staging"))?;
    let target = last_value(&pairs, "target_delta")
        .map(|v| v.trim().parse::<f64>().ok().filter(|t| t.is_finite() && *t > 0.0).ok_or_else(|| ApiError::invalid("target_delta", format!("'{v}' is not a positive number"))))
        .transpose()?;
    let a = s.store.latest_full_run(&bench, x, "x").await?;
    let b = s.store.latest_full_run(&bench, y, "y").await?;
    let opts = CompareOptions { epsilon: None, case_dimensions: false };
    Ok(Json(s.store.compare_view(a, b, opts, target).await?))
}
