//! Request extractors of the JSON API: bodies parsed with the path of any bad value reported as
//! the field at fault, refused when they are not JSON, repeat a key or hold NUL.

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
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        let (status, code, message) = if text.starts_with("number out of range") {
            // Well-formed JSON, but no 64-bit float holds it (`1e400`).
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{text}: beyond what a 64-bit float holds"))
        } else if text.starts_with("recursion limit exceeded") {
            (StatusCode::BAD_REQUEST, "bad_json", format!("{text}: JSON nested deeper than 128 levels"))
        } else if text.starts_with("invalid unicode code point") {
            (StatusCode::BAD_REQUEST, "bad_json", format!("{text}: the body is not valid UTF-8"))
        } else if inner.is_syntax() || inner.is_eof() {
            (StatusCode::BAD_REQUEST, "bad_json", text)
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", text)
        };
        named(ApiError::new(status, code, clip(&message)), &path)
    })?;
    super::strict_json::check(bytes)
        .map_err(|(path, message)| named(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", clip(&message)), &path))?;
    Ok(value)
}

fn named(err: ApiError, path: &str) -> ApiError {
    if path.is_empty() || path == "." {
        err
    } else {
        err.field(clip(path))
    }
}

/// Refusals quote the input (`invalid type: string "…"`, a path through 128 levels of nesting):
/// a few hundred characters name what is wrong without echoing a 10 MB value back.
fn clip(s: &str) -> String {
    const MAX: usize = 240;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A body must say it is JSON (`application/json`, or a `+json` type), in UTF-8, unencoded:
/// a lying or missing `Content-Type` is a 415, and so is a `text/plain` body, which browsers
/// send cross-site without asking.
fn check_json_headers(headers: &axum::http::HeaderMap) -> ApiResult<()> {
    use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
    let refuse = |m: String| Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", m).field("content-type"));
    let Some(ct) = headers.get(CONTENT_TYPE) else {
        return refuse("the body needs 'Content-Type: application/json'".into());
    };
    let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
    let mut parts = ct.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    if !(essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))) {
        return refuse(format!("the body is sent as '{essence}': send JSON as 'Content-Type: application/json'"));
    }
    if let Some(charset) = parts.filter_map(|p| p.strip_prefix("charset=")).next() {
        if !matches!(charset.trim_matches('"'), "utf-8" | "utf8") {
            return refuse(format!("charset {charset}: JSON bodies are UTF-8"));
        }
    }
    if let Some(enc) = headers.get(CONTENT_ENCODING).filter(|e| e.as_bytes() != b"identity") {
        let enc = String::from_utf8_lossy(enc.as_bytes()).into_owned();
        let message = format!("Content-Encoding '{enc}' is not accepted: send the body uncompressed");
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message).field("content-encoding"));
    }
    Ok(())
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
        check_json_headers(req.headers())?;
        let bytes = body_bytes(req, state).await?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes = body_bytes(req, state).await?;
        // No body, or `null` (what the schema of an optional body allows), is the default.
        if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        check_json_headers(&headers)?;
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

/// The last value of `key` among decoded query pairs (of a repeated key the last counts), empty or not.
pub fn last_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
