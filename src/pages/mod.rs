//! One module per route: the page component and its server functions.

pub mod bench;
pub mod case;
pub mod compare;
pub mod login;
pub mod run;
pub mod runs;
pub mod script;

/// Answer 404 for the page being rendered: a no-op in the browser, and on the server only
/// effective before headers are sent (routes that can 404 render with `SsrMode::Async`).
pub fn respond_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
