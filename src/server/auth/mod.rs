//! Who may do what. With `--auth required` one gate at the router ([`gate`]) refuses every
//! request without credentials — a bearer token, a sign-in session or a trusted proxy header —
//! before any route runs. Writes need a bearer token of the right scope in every mode, checked
//! by the [`CanWrite`] / [`CanAdmin`] extractors.

mod cookie;
mod csrf;
pub mod gate;
mod limiter;
pub mod login;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::server::api::error::ApiError;
use crate::server::config::AuthMode;
use crate::server::state::AppState;
use crate::server::store::Scope;

/// Who is calling, as the gate found out; put in the request's extensions for the routes and
/// pages behind it. Never cached past the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's name, or the user the proxy named.
    pub name: String,
    pub scope: Scope,
    pub via: Via,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Session,
    Proxy,
}

/// A refusal that also tells the client how to authenticate.
pub struct AuthError(pub ApiError);

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

/// The secret of an `Authorization: Bearer …` header, if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn require(parts: &Parts, state: &AppState, needed: Scope) -> Result<(), AuthError> {
    // The gate already resolved this bearer token in this request: no second lookup.
    let scope = match parts.extensions.get::<Caller>() {
        Some(c) if c.via == Via::Bearer => Some(c.scope),
        _ => {
            let Some(token) = bearer(&parts.headers) else {
                return Err(AuthError(ApiError::unauthorized(format!(
                    "this route needs 'Authorization: Bearer <token>' with {} scope",
                    needed.as_str()
                ))));
            };
            state.store.token_scope(token).await.map_err(|e| AuthError(e.into()))?
        }
    };
    match scope {
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
    /// The gate checks reads for every route at once; this only refuses a read route that was
    /// somehow mounted outside it (the gate leaves a [`Caller`] on every request it admits).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match state.auth.mode {
            AuthMode::Open => Ok(CanRead),
            AuthMode::Required if parts.extensions.get::<Caller>().is_some() => Ok(CanRead),
            AuthMode::Required => Err(AuthError(gate::unauthorized())),
        }
    }
}
