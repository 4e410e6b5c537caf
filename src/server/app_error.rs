//! The store's errors as the pages' [`AppError`]: mapped by kind, so a page matches on
//! `AppError::NotFound` instead of testing HTTP statuses. Database failures are logged whole and
//! told as a generic message, as the API answers them.

use crate::model::app_error::AppError;
use crate::server::store::StoreError;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, .. } => AppError::NotFound(what),
            StoreError::Db(sqlx::Error::RowNotFound) => AppError::NotFound("not found".into()),
            StoreError::Invalid { field, message } => AppError::Invalid { field, message },
            // Pages only read; a conflict reaching one is the server's to explain.
            StoreError::Conflict { message, .. } => AppError::Internal(message),
            StoreError::Db(sqlx::Error::PoolTimedOut) => {
                tracing::error!("database pool timed out");
                AppError::Internal("database busy, retry later".into())
            }
            e => {
                tracing::error!("internal error: {e}");
                AppError::Internal("internal server error".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_by_kind() {
        assert_eq!(AppError::from(StoreError::not_found("no run 7")), AppError::NotFound("no run 7".into()));
        assert_eq!(AppError::from(StoreError::Db(sqlx::Error::RowNotFound)), AppError::NotFound("not found".into()));
        assert_eq!(
            AppError::from(StoreError::invalid("epsilon", "must be a finite number ≥ 0, not -1")),
            AppError::invalid("epsilon", "must be a finite number ≥ 0, not -1")
        );
        assert_eq!(
            AppError::from(StoreError::Db(sqlx::Error::PoolTimedOut)),
            AppError::Internal("database busy, retry later".into())
        );
        // The inside of a failure stays in the log.
        assert_eq!(
            AppError::from(StoreError::internal("index out of range at rows.rs:12")),
            AppError::Internal("internal server error".into())
        );
    }
}
