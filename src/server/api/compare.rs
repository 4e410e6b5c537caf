//! Run comparison routes: `GET /api/runs/{a}/compare/{b}` (JSON, or the CSV export with
//! `format=csv`), `GET /api/compare?runs=…` (N-way) and the seed's
//! `GET /bench-runs/{a}/compare/{b}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::csv::{csv_num, csv_text, push_row};
use super::extract::{last_value, query_pairs};
use super::parse_id;
use crate::model::compare_query::{CompareQuery, CompareUrl, ExportFormat};
use crate::model::{CompareReport, ErrorBody, NWayReport};
use crate::server::auth::CanRead;
use super::error::{ApiError, ApiResult};
use crate::server::state::AppState;
use crate::server::store::compare::CompareOptions;

/// The `/api` routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(compare_runs))
        .routes(routes!(compare_many))
}

/// The seed's route, at the root.
pub fn seed_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(seed_compare))
}

/// Query pairs, percent-decoded; empty text values count as absent, but an empty number or
/// boolean is refused (it is neither).
fn pairs(raw: Option<String>) -> ApiResult<Vec<(String, String)>> {
    let pairs = query_pairs(raw)?;
    let empty = pairs.iter().find(|(k, v)| matches!(k.as_str(), "epsilon" | "case_dimensions") && v.trim().is_empty());
    if let Some((k, _)) = empty {
        let what = if k == "epsilon" { "a number" } else { "true or false" };
        return Err(ApiError::invalid(k.clone(), format!("must be {what}")));
    }
    Ok(pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect())
}

/// The route's query, parsed where the compare page's is (`model::compare_query`).
fn query(url: CompareUrl, pairs: &[(String, String)]) -> ApiResult<CompareQuery> {
    CompareQuery::parse(url, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| ApiError::invalid(e.field, e.message))
}

/// `epsilon` and `case_dimensions` (always on for the CSV export).
fn options(q: &CompareQuery) -> CompareOptions {
    CompareOptions {
        epsilon: q.epsilon,
        case_dimensions: q.case_dimensions.unwrap_or(false) || q.format == ExportFormat::Csv,
    }
}

/// Run b against the baseline run a: per-case flags, aggregates, verdict transitions, dimension
/// deltas, significance and warnings. `format=csv` answers the per-case table as CSV.
#[utoipa::path(get, path = "/runs/{a}/compare/{b}", tag = "runs",
    params(("a" = i64, Path, description = "the baseline run"), ("b" = i64, Path),
           ("epsilon" = Option<f64>, Query, description = "score tolerance of the flags; default 1e-9 × run a's score_max", minimum = 0),
           ("format" = Option<String>, Query, description = "json (default) or csv (always with case dimensions)", pattern = r"^(|json|csv)$"),
           ("case_dimensions" = Option<bool>, Query, description = "per-case dimension scores and paired dimension deltas (reads 3× the rows)"),
           ("target_delta" = Option<f64>, Query, description = "a mean delta to detect: significance.cases_needed says how many cases that needs (80% power, α = 0.05)", exclusive_minimum = 0)),
    responses((status = 200, content((CompareReport = "application/json"), (String = "text/csv"))),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn compare_runs(
    _: CanRead,
    State(s): State<AppState>,
    Path((a, b)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = query(CompareUrl::PairApi, &pairs(q)?)?;
    let (a, b) = (parse_id("run", &a)?, parse_id("run", &b)?);
    Ok(match q.format {
        ExportFormat::Json => Json(s.store.compare_view(a, b, options(&q), q.target_delta).await?).into_response(),
        ExportFormat::Csv => {
            let report = s.store.compare_shared(a, b, options(&q)).await?;
            let name = format!("attachment; filename=\"compare-{a}-{b}.csv\"");
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                compare_csv(&report),
            )
                .into_response()
        }
    })
}

/// The seed's `CompareReport` (`akribes-sdk` `BenchRunsClient::compare`): the same report as
/// `/api/runs/{a}/compare/{b}`.
#[utoipa::path(get, path = "/bench-runs/{a}/compare/{b}", tag = "seed",
    params(("a" = i64, Path), ("b" = i64, Path), ("epsilon" = Option<f64>, Query, minimum = 0), ("case_dimensions" = Option<bool>, Query)),
    responses((status = 200, body = CompareReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn seed_compare(
    _: CanRead,
    State(s): State<AppState>,
    Path((a, b)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = query(CompareUrl::SeedApi, &pairs(q)?)?;
    let report = s.store.compare_view(parse_id("run", &a)?, parse_id("run", &b)?, options(&q), None).await?;
    Ok(Json(report).into_response())
}

/// Up to 8 runs side by side, the first the baseline; every other column flagged against it.
/// `format=csv` answers the matrix as CSV: per run its score, status, verdict and cost, and for
/// every run but the baseline its delta and flag.
#[utoipa::path(get, path = "/compare", tag = "runs",
    params(("runs" = Vec<i64>, Query, description = "2 to 8 different run ids, comma-separated, the baseline first",
            style = Form, explode = false, min_items = 2, max_items = 8),
           ("epsilon" = Option<f64>, Query, minimum = 0),
           ("flag" = Option<String>, Query, description = "keep rows where any column has one of these flags (comma list)", pattern = r"^[\s,]*$|^[\s,]*(improved|regressed|unchanged|missing_a|missing_b)\s*(,[\s,]*(improved|regressed|unchanged|missing_a|missing_b)\s*)*[\s,]*$"),
           ("format" = Option<String>, Query, description = "json (default) or csv", pattern = r"^(|json|csv)$")),
    responses((status = 200, content((NWayReport = "application/json"), (String = "text/csv"))),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn compare_many(
    _: CanRead,
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let pairs = pairs(q)?;
    if last_value(&pairs, "runs").is_none() {
        return Err(ApiError::invalid("runs", "name 2 to 8 runs: ?runs=1,2"));
    }
    let q = query(CompareUrl::NWayApi, &pairs)?;
    let flags = q
        .score_flags()
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let report = s.store.compare_many(&q.runs, q.epsilon, &flags).await?;
    Ok(match q.format {
        ExportFormat::Json => Json(report).into_response(),
        ExportFormat::Csv => {
            let ids: Vec<String> = report.run_ids.iter().map(|i| i.to_string()).collect();
            let name = format!("attachment; filename=\"compare-{}.csv\"", ids.join("-"));
            (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)],
                nway_csv(&report),
            )
                .into_response()
        }
    })
}

// ---------------------------------------------------------------------------------------------
// CSV export

/// The per-case table of a report: a header row, then one row per case.
pub fn compare_csv(r: &CompareReport) -> String {
    let mut header: Vec<String> = [
        "case_id",
        "case_label",
        "flag",
        "score_a",
        "score_b",
        "delta",
        "status_a",
        "status_b",
        "verdict_a",
        "verdict_b",
        "epochs_a",
        "epochs_b",
        "cost_a",
        "cost_b",
        "cost_delta",
        "cost_flag",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for d in &r.dimensions {
        header.push(csv_text(&format!("{d} (a)")));
        header.push(csv_text(&format!("{d} (b)")));
    }
    let mut out = header.join(",");
    out.push_str("\r\n");
    for c in &r.per_case {
        let mut cells = vec![
            csv_text(&c.case_id),
            csv_text(&c.case_label),
            c.flag.as_str().to_string(),
            csv_num(c.score_a),
            csv_num(c.score_b),
            csv_num(c.delta),
            c.status_a.map_or("", |x| x.as_str()).to_string(),
            c.status_b.map_or("", |x| x.as_str()).to_string(),
            c.verdict_a.map_or("", |x| x.as_str()).to_string(),
            c.verdict_b.map_or("", |x| x.as_str()).to_string(),
            c.epochs_a.to_string(),
            c.epochs_b.to_string(),
            c.cost_a.to_string(),
            c.cost_b.to_string(),
            c.cost_delta.to_string(),
            c.cost_flag.as_str().to_string(),
        ];
        for k in 0..r.dimensions.len() {
            let d = c.dimensions.get(k).copied().unwrap_or_default();
            cells.push(csv_num(d.a));
            cells.push(csv_num(d.b));
        }
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The N-way matrix: a header row naming each run's columns, then one row per case.
pub fn nway_csv(r: &NWayReport) -> String {
    let mut header = vec!["case_id".to_string(), "case_label".to_string()];
    for (i, id) in r.run_ids.iter().enumerate() {
        for col in ["score", "status", "verdict", "cost"] {
            header.push(format!("run {id} {col}"));
        }
        if i > 0 {
            header.push(format!("run {id} delta"));
            header.push(format!("run {id} flag"));
        }
    }
    let mut out = String::new();
    push_row(&mut out, &header);
    for row in &r.rows {
        let mut cells = vec![csv_text(&row.case_id), csv_text(&row.case_label)];
        for (i, c) in row.cells.iter().enumerate() {
            cells.push(csv_num(c.score));
            cells.push(c.status.map_or("", |x| x.as_str()).to_string());
            cells.push(c.verdict.map_or("", |x| x.as_str()).to_string());
            cells.push(c.cost.to_string());
            if i > 0 {
                cells.push(csv_num(c.delta));
                cells.push(c.flag.map_or("", |f| f.as_str()).to_string());
            }
        }
        push_row(&mut out, &cells);
    }
    out
}
