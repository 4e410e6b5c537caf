//! What every handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::config::AuthConfig;
use crate::server::store::Store;

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub auth: AuthConfig,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(s: &AppState) -> Self {
        s.store.clone()
    }
}
