//! One error type for the REST API: a status, a stable code, a message and the field at fault.
//! Internal errors are logged in full and answered with a generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::model::{ErrorBody, ErrorDetail};
use crate::server::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 422: the request is well-formed JSON but a value is not acceptable.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {err}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error")
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => ApiError::not_found("not found"),
            sqlx::Error::PoolTimedOut => {
                tracing::error!("database pool timed out");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "database busy, retry later")
            }
            _ => ApiError::internal(e),
        }
    }
}

/// The store's errors as HTTP answers: 404, 422 and 409 keep the field at fault; database
/// failures are logged whole and answered with a generic 500 (or 503 when the pool is exhausted).
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, field } => {
                ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: what, field }
            }
            StoreError::Invalid { field, message } => ApiError::invalid(field, message),
            StoreError::Conflict { code, message, field } => {
                ApiError { status: StatusCode::CONFLICT, code, message, field }
            }
            StoreError::Internal(m) => ApiError::internal(m),
            StoreError::Db(e) => e.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({}): {}", self.status, field, self.message),
            None => write!(f, "{}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, field: self.field, request_id: None },
        };
        (self.status, Json(body)).into_response()
    }
}
