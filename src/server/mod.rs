//! Everything that runs only on the server: storage, the JSON API, auth and the HTTP app.

pub mod api;
pub mod auth;
pub mod charts;
pub mod config;
pub mod demo;
pub mod hash;
pub mod sql;
pub mod state;
pub mod store;
pub mod time;
pub mod word_diff;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::app::{shell, App};
use state::AppState;

/// The whole HTTP app: `/api`, the server-rendered pages, server functions and static files.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let store = state.store.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .merge(api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(store.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
