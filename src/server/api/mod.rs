//! The JSON API under `/api`: one module per resource, each with its routes.

mod benches;
mod compare;
mod csv;
mod doc;
pub mod error;
mod events;
mod export;
pub mod extract;
mod health;
mod import;
mod read;
mod runs;
mod scripts;
pub mod seed;
pub mod strict_json;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use error::{ApiError, ApiResult};
use crate::server::state::AppState;

/// Bodies on most routes stay small.
pub const SMALL_BODY: usize = 2 * 1024 * 1024;
/// Result batches (10,000 results with traces), case suites and import bundles.
pub const LARGE_BODY: usize = 64 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Assay", description = "Ingest and read LLM evaluation runs: benches, cases, runs, results, scores and traces."),
    modifiers(&BearerAuth),
    components(schemas(crate::model::live::Lagged, crate::model::live::Terminal)),
    tags(
        (name = "scripts", description = "Workflow and judge scripts, versions and channels"),
        (name = "benches", description = "Benches and their cases"),
        (name = "runs", description = "Runs and their results"),
        (name = "seed", description = "The akribes-sdk BenchRunsClient protocol"),
        (name = "operations", description = "Liveness and readiness probes (public, no token)")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(scripts::router())
        .merge(runs::router())
        .merge(import::router())
        .merge(read::router())
        .merge(compare::router())
        .merge(benches::router())
        .merge(events::router())
        .route("/openapi.json", axum::routing::get(openapi_json))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(SMALL_BODY));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api", api)
        .merge(seed::router())
        .merge(compare::seed_router())
        .merge(events::seed_router())
        .merge(health::router())
}

/// Every JSON route — `/api/…` and the seed's `/bench-runs/…`. The OpenAPI document is built
/// from the same registrations, so a route cannot exist undocumented.
pub fn router() -> Router<AppState> {
    routes().split_for_parts().0.layer(axum::middleware::from_fn(crate::server::layers::json_rejections))
}

/// The OpenAPI document of [`router`], served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = routes().into_openapi();
        utoipa::Modify::modify(&doc::StandardAnswers, &mut doc);
        doc::rules(&mut doc);
        doc
    })
    .clone()
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

async fn not_found() -> impl IntoResponse {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route")
}

/// A run id from the path: anything that is not a number names no run.
pub fn parse_id(what: &str, s: &str) -> ApiResult<i64> {
    s.parse::<i64>().map_err(|_| ApiError::not_found(format!("no {what} '{s}'")))
}
