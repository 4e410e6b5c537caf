//! Everything that runs only on the server: storage, the JSON API, auth and the HTTP app.

pub mod api;
pub mod app_error;
pub mod auth;
pub mod charts;
pub mod config;
pub mod demo;
pub mod events;
pub mod hash;
pub mod layers;
pub mod ops;
pub mod import;
pub mod sql;
pub mod state;
pub mod store;
pub mod time;
pub mod word_diff;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};

use crate::app::{shell, App};
use state::AppState;

/// The page routes, listed once per process. Listing them renders the app with resource loading
/// suppressed process-wide (leptos-rs/leptos#4773): a page rendering meanwhile — another app's,
/// in the same test process — would wait forever. No render can start before the first app exists.
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP app: `/api`, the server-rendered pages, server functions and static files.
pub fn app(state: AppState) -> Router {
    let routes = route_list();
    let store = state.store.clone();
    let options = state.leptos_options.clone();
    let router = Router::new()
        .merge(api::router())
        .merge(auth::login::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(store.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Over every route and the fallback alike: nothing is served outside the gate.
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::gate::check));
    // Outside the gate: its refusals carry a request id and are logged like any answer.
    layers::around(router).with_state(state)
}
