//! Operating Assay through the real router and its layers, on SQLite and on PostgreSQL:
//! compressed streamed answers, health and readiness, request ids.

mod common;

#[path = "ops/compression.rs"]
mod compression;

#[path = "ops/health.rs"]
mod health;
