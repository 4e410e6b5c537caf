//! What a page shows when its data did not come: the error itself (a failed resource never
//! leaves an empty page), or a "not found" page that answers a real 404.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::app_error::AppError;

/// Answer 404 for the page being rendered: a no-op in the browser, and on the server only
/// effective before headers are sent (routes that can 404 render with `SsrMode::Async`).
pub fn respond_not_found() {
    respond_status(404);
}

/// Answer `status` for the page being rendered (see [`respond_not_found`]).
pub fn respond_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(resp), Ok(code)) = (use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(status)) {
        resp.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A failed resource, said where its content would be. (A page whose own subject is missing
/// shows a [`NotFoundView`] instead, which answers 404; a part of a page that fails does not.)
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert" data-testid="error">{error.message()}</p> }
}

/// A page for something that does not exist: its title, why, and where to go instead.
#[component]
pub fn NotFoundView(
    title: &'static str,
    #[prop(into)] message: String,
    href: &'static str,
    link: &'static str,
) -> impl IntoView {
    respond_not_found();
    view! {
        <Title text=format!("{title} · Assay")/>
        <h1>{title}</h1>
        <p>{message}" "<a href=href>{link}</a></p>
    }
}
