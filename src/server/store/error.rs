//! The store's one error type. It knows nothing of HTTP: the API and the pages map it to their
//! own answers at their edges.

/// What a store call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist; `field` names the request field that named it.
    #[error("{what}")]
    NotFound { what: String, field: Option<String> },
    /// A value is not acceptable (the request is well-formed).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The request conflicts with what is stored (`code` says how: `run_finished`, `frozen_case`…).
    #[error("{message}")]
    Conflict { code: &'static str, message: String, field: Option<String> },
    /// A broken invariant inside the store (never the caller's fault).
    #[error("internal: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into(), field: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Invalid { field: field.into(), message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict { code, message: message.into(), field: None }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        StoreError::Internal(message.to_string())
    }

    /// The same error naming `field` (404s and conflicts; an `Invalid` already names one).
    pub fn field(self, f: impl Into<String>) -> Self {
        match self {
            StoreError::NotFound { what, .. } => StoreError::NotFound { what, field: Some(f.into()) },
            StoreError::Conflict { code, message, .. } => StoreError::Conflict { code, message, field: Some(f.into()) },
            StoreError::Invalid { message, .. } => StoreError::Invalid { field: f.into(), message },
            other => other,
        }
    }

    /// The field at fault, if the error names one.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            StoreError::NotFound { field, .. } | StoreError::Conflict { field, .. } => field.as_deref(),
            StoreError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Rewrite the field path (prefixing an import's part, or offsetting a chunk's index).
    pub fn map_field(self, f: impl FnOnce(Option<String>) -> Option<String>) -> Self {
        match self {
            StoreError::NotFound { what, field } => StoreError::NotFound { what, field: f(field) },
            StoreError::Conflict { code, message, field } => StoreError::Conflict { code, message, field: f(field) },
            StoreError::Invalid { field, message } => {
                StoreError::Invalid { field: f(Some(field.clone())).unwrap_or(field), message }
            }
            other => other,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. } | StoreError::Db(sqlx::Error::RowNotFound))
    }
}
