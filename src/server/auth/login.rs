//! `POST /login` and `POST /logout`: a plain form-encoded sign-in that works without
//! JavaScript. `GET /login` is the leptos page (`pages/login.rs`); a refused sign-in renders
//! that same page with the reason and a 401 (or 429), so the form and its message come from
//! one component.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use leptos::prelude::provide_context;
use serde::Deserialize;

use super::cookie::{self, Presented};
use super::limiter::SignInLimiter;
use crate::pages::login::SignInRefused;
use crate::server::api::error::{ApiError, ApiResult};
use crate::server::config::{AuthConfig, AuthMode};
use crate::server::state::AppState;

/// A sign-in form is one token and a path: anything bigger is not one.
const MAX_FORM: usize = 16 * 1024;
/// Tokens are 54 characters; a longer "token" is refused without a lookup.
const MAX_TOKEN: usize = 256;

#[derive(Deserialize, Default)]
struct SignInForm {
    token: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

/// The sign-in routes; their failed-attempt counter lives as long as the router.
pub fn routes() -> Router<AppState> {
    let limiter = Arc::new(SignInLimiter::default());
    Router::new().route("/login", post(sign_in).layer(Extension(limiter))).route("/logout", post(sign_out))
}

/// `next` when it is a path on this server, else `/`: never an open redirect. What a
/// `Location` header cannot carry is percent-encoded.
fn local_path(next: Option<&str>) -> String {
    let Some(next) = next.map(str::trim) else { return "/".into() };
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    let path = next.split(['?', '#']).next().unwrap_or_default();
    if !local || path == "/login" || path == "/logout" {
        return "/".into();
    }
    let mut out = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The address failed sign-ins are counted by: the socket's peer, or the last hop a trusted
/// proxy appended to `X-Forwarded-For`.
fn client_addr(req: &Request, cfg: &AuthConfig) -> IpAddr {
    let forwarded = cfg
        .trust_forwarded
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    forwarded
        .or_else(|| req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .map(|ip| ip.to_canonical())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// The `/login` page, rendered as a GET of the same URL would be, with `message` on it.
async fn login_page(state: &AppState, parts: &Parts, status: StatusCode, message: String) -> Response {
    let uri = match parts.uri.query() {
        Some(q) => format!("/login?{q}"),
        None => "/login".into(),
    };
    let mut req = Request::builder().method(Method::GET).uri(uri).body(Body::empty()).expect("valid URI");
    for (name, value) in &parts.headers {
        if ![header::CONTENT_LENGTH, header::CONTENT_TYPE].contains(name) {
            req.headers_mut().append(name, value.clone());
        }
    }
    let (st, options) = (state.clone(), state.leptos_options.clone());
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(st.clone());
            provide_context(st.store.clone());
            provide_context(SignInRefused(message.clone()));
        },
        move || crate::app::shell(options.clone()),
    );
    let mut res = render(req).await;
    *res.status_mut() = status;
    res
}

async fn sign_in(State(state): State<AppState>, Extension(limiter): Extension<Arc<SignInLimiter>>, req: Request) -> Response {
    let addr = client_addr(&req, &state.auth);
    let (parts, body) = req.into_parts();
    let query: NextQuery = serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let form = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(bytes) => serde_urlencoded::from_bytes::<SignInForm>(&bytes).ok(),
        Err(_) => None,
    };
    let next = local_path(form.as_ref().and_then(|f| f.next.as_deref()).or(query.next.as_deref()));
    if state.auth.mode == AuthMode::Open {
        return see_other(&next);
    }
    let now = Instant::now();
    let too_many = |wait: std::time::Duration| {
        let secs = wait.as_secs().max(1);
        (secs, format!("Too many failed sign-ins from your address: try again in {secs} s."))
    };
    if let Some(wait) = limiter.blocked(addr, now) {
        let (secs, message) = too_many(wait);
        let mut res = login_page(&state, &parts, StatusCode::TOO_MANY_REQUESTS, message).await;
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return res;
    }
    let token = form.and_then(|f| f.token).map(|t| t.trim().to_string()).unwrap_or_default();
    if token.is_empty() {
        return login_page(&state, &parts, StatusCode::BAD_REQUEST, "Enter a token to sign in.".into()).await;
    }
    let session = if token.len() <= MAX_TOKEN {
        match state.store.create_session(&token, state.auth.session_ttl_ms()).await {
            Ok(s) => s,
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else {
        None
    };
    match session {
        Some((id, _)) => {
            let mut res = see_other(&next);
            let secure = cookie::secure(&parts.headers, &state.auth);
            res.headers_mut().insert(header::SET_COOKIE, cookie::set(&id, state.auth.session_ttl_ms() / 1000, secure));
            res
        }
        None => match limiter.fail(addr, now) {
            Some(wait) => {
                let (secs, message) = too_many(wait);
                let mut res = login_page(&state, &parts, StatusCode::TOO_MANY_REQUESTS, message).await;
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                res
            }
            None => login_page(&state, &parts, StatusCode::UNAUTHORIZED, "That token is unknown or revoked.".into()).await,
        },
    }
}

/// End this browser's session (the gate let the request in, so it has credentials) and forget
/// the cookie.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Presented::Id(id) = cookie::presented(&headers) {
        state.store.delete_session(id).await?;
    }
    let mut res = see_other("/login");
    res.headers_mut().insert(header::SET_COOKIE, cookie::clear(cookie::secure(&headers, &state.auth)));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_ever_a_local_path() {
        assert_eq!(local_path(Some("/runs?status=completed&channel=canary")), "/runs?status=completed&channel=canary");
        assert_eq!(local_path(Some("/runs/5/cases/odd%2Fid")), "/runs/5/cases/odd%2Fid");
        assert_eq!(local_path(Some("/runs?q=café au lait")), "/runs?q=caf%C3%A9%20au%20lait");
        for bad in [
            "//evil.example/x", "https://evil.example", "/\\evil.example", "\\\\evil.example", "evil.example", "", " ",
            "/\r\nSet-Cookie: x=1", "javascript:alert(1)", "/login?next=/runs", "/logout",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
