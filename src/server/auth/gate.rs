//! The one gate of `--auth required`: a middleware on the whole router, so every page, server
//! function, JSON route, stream and export — and any route added later — is refused without
//! credentials before it runs. Only static assets, `/login`, `/api/openapi.json`, `/healthz`
//! and `/readyz` are public.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookie::{self, Presented};
use super::{bearer, csrf, AuthError, Caller, Via};
use crate::model::query::urlencode;
use crate::server::api::error::ApiError;
use crate::server::config::AuthMode;
use crate::server::state::AppState;
use crate::server::store::{Scope, StoreResult};

/// Paths anyone may reach, whatever the mode.
const PUBLIC: &[&str] = &["/login", "/api/openapi.json", "/healthz", "/readyz", "/favicon.ico"];
/// The longest name a proxy may hand us.
const MAX_PROXY_USER: usize = 256;

/// True for the public paths and the bundle under `/pkg/`. Asset paths must be plain (no
/// `..`, `.` or empty segments, no percent escapes): the page router would resolve dot segments
/// and render a gated page under a public prefix.
pub fn is_public(path: &str) -> bool {
    if PUBLIC.contains(&path) {
        return true;
    }
    let Some(rest) = path.strip_prefix("/pkg/") else {
        return false;
    };
    rest.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
}

/// JSON routes and server functions answer 401; everything else is a page that sends the
/// browser to sign in.
fn is_api(path: &str) -> bool {
    ["/api", "/bench-runs"].iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// The refusal of a JSON route or server function without credentials.
pub fn unauthorized() -> ApiError {
    ApiError::unauthorized(
        "sign in: send 'Authorization: Bearer <token>' with read scope or more, or a session cookie from /login",
    )
}

/// Credentials the gate found, and a renewed session cookie to hand back.
struct Found {
    caller: Caller,
    renew_cookie: Option<HeaderValue>,
}

/// Bearer first (a script says exactly what it means), then the proxy's header, then the
/// session cookie. A wrong bearer token is no credentials, not a fall-through to the cookie.
async fn credentials(state: &AppState, headers: &HeaderMap) -> StoreResult<Option<Found>> {
    let found = |name: String, scope: Scope, via: Via| Found { caller: Caller { name, scope, via }, renew_cookie: None };
    if headers.contains_key(header::AUTHORIZATION) {
        let Some(secret) = bearer(headers) else { return Ok(None) };
        let holder = state.store.token_holder(secret).await?;
        return Ok(holder.map(|h| found(h.name, h.scope, Via::Bearer)));
    }
    if let Some(name) = state.auth.trust_proxy_header.as_ref().and_then(|h| headers.get(h)) {
        let name = name.to_str().ok().map(str::trim).filter(|n| !n.is_empty() && n.len() <= MAX_PROXY_USER);
        return Ok(name.map(|n| found(n.to_string(), Scope::Read, Via::Proxy)));
    }
    let Presented::Id(id) = cookie::presented(headers) else { return Ok(None) };
    let ttl = state.auth.session_ttl_ms();
    Ok(state.store.session_holder(id, ttl).await?.map(|s| Found {
        renew_cookie: s.renewed.then(|| cookie::set(id, ttl / 1000, cookie::secure(headers, &state.auth))),
        ..found(s.holder.name, s.holder.scope, Via::Session)
    }))
}

/// No credentials: 401 for JSON and server functions, else 303 to the sign-in page with the
/// way back. A session cookie that names nothing live is cleared on the way.
fn refuse(req: &Request, state: &AppState) -> Response {
    let path = req.uri().path();
    let mut res = if is_api(path) {
        AuthError(unauthorized()).into_response()
    } else {
        // Only a page can be returned to (after sign-in the browser GETs it).
        let location = match req.uri().path_and_query() {
            Some(pq) if matches!(*req.method(), Method::GET | Method::HEAD) => format!("/login?next={}", urlencode(pq.as_str())),
            _ => "/login".to_string(),
        };
        let location = HeaderValue::from_str(&location).expect("percent-encoded ASCII");
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
    };
    if cookie::presented(req.headers()) != Presented::None {
        let clear = cookie::clear(cookie::secure(req.headers(), &state.auth));
        res.headers_mut().append(header::SET_COOKIE, clear);
    }
    res
}

/// The middleware: `axum::middleware::from_fn_with_state(state, gate::check)`.
pub async fn check(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if state.auth.mode == AuthMode::Open {
        return next.run(req).await;
    }
    // Browsers attach cookies (and SSO logins) to cross-site POSTs on their own; a bearer token
    // they never attach. Checked before anything else, public `/login` included.
    if !is_safe(req.method()) && !req.headers().contains_key(header::AUTHORIZATION) {
        if let Some(why) = csrf::refusal(req.headers(), req.uri(), &state.auth) {
            return ApiError::forbidden(why).into_response();
        }
    }
    if is_public(req.uri().path()) {
        return next.run(req).await;
    }
    match credentials(&state, req.headers()).await {
        Ok(Some(found)) => {
            req.extensions_mut().insert(found.caller);
            let mut res = next.run(req).await;
            if let Some(c) = found.renew_cookie {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Ok(None) => refuse(&req, &state),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_exact_and_assets_plain() {
        for p in ["/login", "/api/openapi.json", "/healthz", "/readyz", "/favicon.ico", "/pkg/assay.js", "/pkg/assay.wasm", "/pkg/a/b-c_d.css"] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/", "/login/", "/loginx", "/api/openapi.jsonx", "/api/runs", "/pkg", "/pkg/", "/pkg/../runs/1", "/pkg/./x",
            "/pkg//x", "/pkg/%2e%2e/runs/1", "/pkg/a/../../runs", "/runs", "/logout",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn json_routes_and_server_functions_are_api() {
        for p in ["/api", "/api/runs", "/api/list_benches123", "/bench-runs/1", "/bench-runs"] {
            assert!(is_api(p), "{p}");
        }
        for p in ["/", "/apix", "/runs/1", "/bench-runsx", "/benches/x"] {
            assert!(!is_api(p), "{p}");
        }
    }
}
