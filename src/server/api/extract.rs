//! Request extractors of the JSON API: bodies parsed with the path of any bad value reported as
//! the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};

/// JSON body parsed with the path of any bad value (`results[3].status`) reported as the field.
pub struct ApiJson<T>(pub T);

/// Like [`ApiJson`] but an empty body reads as `T::default()` (for `complete`, `fail`, `cancel`).
pub struct OptionalJson<T>(pub T);

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let status = if inner.is_syntax() || inner.is_eof() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let code = if status == StatusCode::BAD_REQUEST { "bad_json" } else { "invalid" };
        let err = ApiError::new(status, code, inner.to_string());
        if path.is_empty() || path == "." {
            err
        } else {
            err.field(path)
        }
    })
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|rej| {
        let status = rej.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "too_large", "request body is over this route's limit")
        } else {
            ApiError::new(status, "bad_body", rej.body_text())
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        Ok(OptionalJson(parse_json(&bytes)?))
    }
}

/// Query pairs, percent-decoded, in order (repeated keys kept). A query string that does not
/// decode is a 422, never silently an empty filter.
pub fn query_pairs(raw: Option<String>) -> ApiResult<Vec<(String, String)>> {
    match raw {
        None => Ok(Vec::new()),
        Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(&q)
            .map_err(|_| ApiError::invalid("query", "the query string does not decode")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::input::ResultsBody;

    #[test]
    fn bad_status_names_its_path() {
        let body = br#"{"results": [{"case_id": "a", "status": "ok"}, {"case_id": "b", "status": "passed"}]}"#;
        let err = parse_json::<ResultsBody>(body).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.field.as_deref(), Some("results[1].status"));
        assert!(err.message.contains("passed"), "{}", err.message);
    }

    #[test]
    fn broken_json_is_a_400() {
        let err = parse_json::<ResultsBody>(b"{\"results\": [").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
