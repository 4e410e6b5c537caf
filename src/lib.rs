//! Assay: a self-hosted dashboard for LLM workflow and agent evaluations.
//! The crate builds twice: as the server (`ssr`) and as the browser bundle (`hydrate`).

#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod domain;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
