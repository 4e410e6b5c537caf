//! Probes for load balancers and orchestrators: `GET /healthz` (the process answers) and
//! `GET /readyz` (the database answers and its schema is the one this binary embeds). Both are
//! public whatever `--auth` says: a probe carries no token.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult};
use crate::model::ErrorBody;
use crate::server::sql::Backend;
use crate::server::state::AppState;
use crate::server::store::{SchemaState, Store};

/// A probe that waits longer than this has already failed for the orchestrator asking.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `ready` (a server that is not ready answers 503).
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// Migrations applied, all of them the ones this binary embeds.
    pub migrations: usize,
}

/// The process is up and serving HTTP; nothing else is checked (a liveness probe).
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers and every migration this binary embeds is applied, unchanged, and no
/// other (a readiness probe: send no traffic here until it answers 200).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = ErrorBody, description = "the database does not answer or its schema is not current")))]
async fn readyz(State(s): State<AppState>) -> ApiResult<Json<Readiness>> {
    let migrations = tokio::time::timeout(PROBE_TIMEOUT, check(&s.store))
        .await
        .map_err(|_| not_ready(format!("the database did not answer within {} s", PROBE_TIMEOUT.as_secs())))??;
    let database = match s.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(Json(Readiness { status: "ready", database, migrations }))
}

fn not_ready(message: String) -> ApiError {
    tracing::warn!("not ready: {message}");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
}

/// The number of migrations applied when the schema is current.
async fn check(store: &Store) -> ApiResult<usize> {
    match store.schema_state().await {
        Ok(SchemaState::Current(n)) => Ok(n),
        Ok(SchemaState::NotCurrent(why)) => Err(not_ready(why)),
        Err(e) => {
            // The probe is public: the cause goes to the log only.
            tracing::warn!("readiness: the database does not answer: {e}");
            Err(not_ready("the database does not answer (the server log has the cause)".into()))
        }
    }
}
