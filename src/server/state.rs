//! What every handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::config::AuthConfig;
use crate::server::events::Events;
use crate::server::store::{Store, StoreResult};

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub auth: AuthConfig,
    pub leptos_options: LeptosOptions,
    /// Live run events; `events.close()` is the shutdown hook that ends every stream.
    pub events: Events,
}

impl AppState {
    /// The state over `store`, with its events hub started (on PostgreSQL it listens for the
    /// changes of every server on the database).
    pub async fn new(store: Store, auth: AuthConfig, leptos_options: LeptosOptions) -> StoreResult<AppState> {
        let events = Events::start(store.clone()).await?;
        Ok(AppState { store, auth, leptos_options, events })
    }
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
