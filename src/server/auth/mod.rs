//! Bearer-token authentication. Writes always need a token of the right scope; reads need one
//! only with `--auth required`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::server::api::error::ApiError;
use crate::server::config::AuthMode;
use crate::server::state::AppState;
use crate::server::store::Scope;

/// A refusal that also tells the client how to authenticate.
pub struct AuthError(ApiError);

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let unauthorized = self.0.status == axum::http::StatusCode::UNAUTHORIZED;
        let mut res = self.0.into_response();
        if unauthorized {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"assay\""));
        }
        res
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn require(parts: &Parts, state: &AppState, needed: Scope) -> Result<(), AuthError> {
    let Some(token) = bearer(parts) else {
        return Err(AuthError(ApiError::unauthorized(format!(
            "this route needs 'Authorization: Bearer <token>' with {} scope",
            needed.as_str()
        ))));
    };
    match state.store.token_scope(token).await.map_err(|e| AuthError(e.into()))? {
        None => Err(AuthError(ApiError::unauthorized("unknown or revoked token"))),
        Some(scope) if scope < needed => Err(AuthError(ApiError::forbidden(format!(
            "this token has {} scope; this route needs {}",
            scope.as_str(),
            needed.as_str()
        )))),
        Some(_) => Ok(()),
    }
}

/// Extractor: the caller may write.
pub struct CanWrite;
/// Extractor: the caller is an admin.
pub struct CanAdmin;
/// Extractor: the caller may read (always, with `--auth open`).
pub struct CanRead;

impl FromRequestParts<AppState> for CanWrite {
    type Rejection = AuthError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        require(parts, state, Scope::Write).await.map(|_| CanWrite)
    }
}

impl FromRequestParts<AppState> for CanAdmin {
    type Rejection = AuthError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        require(parts, state, Scope::Admin).await.map(|_| CanAdmin)
    }
}

impl FromRequestParts<AppState> for CanRead {
    type Rejection = AuthError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match state.auth {
            AuthMode::Open => Ok(CanRead),
            AuthMode::Required => require(parts, state, Scope::Read).await.map(|_| CanRead),
        }
    }
}
