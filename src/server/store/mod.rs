//! The storage layer: every read and write Assay makes, written once over the SQL layer
//! (`server::sql`) for SQLite and PostgreSQL. It answers in the model's types and fails with
//! [`StoreError`]; it knows nothing of HTTP.
//!
//! Layout: one module per resource (`scripts`, `benches`, `runs`, `finish`, `results`, `import`,
//! `tokens`, `search_index`, the read-side `read`, `stats`, `views`, `trace`, `version_page`, `compare`, `live`), none of
//! which names another. What they share comes from here (`Store`, `StoreTx`), from `rows` (every
//! shared `*Row` and its SELECT) and from `input` (request bodies and their checks; `import_lines`
//! holds the import stream's). A resource
//! that needs another's write inside its own transaction calls it as a method of [`StoreTx`]:
//! each resource adds its transactional steps to that one type.

mod benches;
pub mod compare;
mod demo;
mod error;
mod figures;
mod finish;
pub mod flaky;
mod import;
pub mod input;
pub mod import_lines;
mod live;
pub mod read;
mod results;
mod rows;
mod runs;
mod schema;
mod scripts;
mod search_index;
mod sessions;
mod stats;
mod tokens;
mod trace;
mod version_page;
pub mod views;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

pub use error::{StoreError, StoreResult};
pub use import::ImportSession;
pub use input::Finish;
pub use live::{LiveState, RunChange, RunChanges};
pub use results::MAX_BATCH;
pub use schema::SchemaState;
pub use sessions::{is_session_id, SessionHolder, TokenHolder, RENEW_AFTER_MS, SESSION_ID_LEN};
pub use tokens::{Scope, TokenInfo};

use crate::server::sql::{Backend, Db, Tx};

/// The store: the database and what is derived from finished runs and kept in memory.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    figures: Arc<figures::Figures>,
    reports: Arc<compare::cache::Reports>,
    flaky: Arc<flaky::FlakyCache>,
}

/// A write (or read) transaction of the store. Resource modules add their transactional steps
/// to it as methods, so one resource can compose another's writes (an import publishes versions,
/// upserts cases, triggers, ingests and finishes in one transaction) without naming its module.
pub(crate) struct StoreTx(Tx);

impl Deref for StoreTx {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.0
    }
}

impl DerefMut for StoreTx {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.0
    }
}

impl StoreTx {
    pub async fn commit(self) -> StoreResult<()> {
        Ok(self.0.commit().await?)
    }
}

/// JSON value to stored text.
pub(crate) fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

/// Stored text to JSON value; text that is not JSON comes back as a JSON string.
pub(crate) fn text_json(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
}

/// The lexeme that ties a PostgreSQL search index row to its run (`search_index` writes it,
/// `read` searches with it).
pub(crate) fn run_lexeme(run_id: i64) -> String {
    format!("#run{run_id}")
}

/// Long texts in a page are cut here; "show all" fetches the rest.
pub const TEXT_CAP: usize = 2_000;
/// Trace texts are cut shorter: a page holds about a hundred steps.
pub const TRACE_TEXT_CAP: usize = 400;

/// `s` cut to `cap` characters (on a char boundary), and whether it was cut.
pub fn clip(s: &str, cap: usize) -> (String, bool) {
    match s.char_indices().nth(cap) {
        Some((i, _)) => (s[..i].to_string(), true),
        None => (s.to_string(), false),
    }
}

impl Store {
    pub async fn connect(url: &str) -> StoreResult<Store> {
        Ok(Store { db: Db::connect(url).await?, figures: Default::default(), reports: Default::default(), flaky: Default::default() })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        self.db.migrate().await
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Close the pools (waits for connections in use to come back).
    pub async fn close(&self) {
        self.db.close().await
    }

    /// A write transaction (SQLite: the write lock, taken up front).
    pub(crate) async fn begin(&self) -> StoreResult<StoreTx> {
        Ok(StoreTx(self.db.begin().await?))
    }

    /// A read-only transaction: one consistent snapshot.
    pub(crate) async fn begin_read(&self) -> StoreResult<StoreTx> {
        Ok(StoreTx(self.db.begin_read().await?))
    }

    /// Whether the database holds any bench (the demo leaves such a database alone).
    pub async fn has_benches(&self) -> StoreResult<bool> {
        let (n,): (i64,) = self.db.one("SELECT COUNT(*) FROM benches", vec![]).await?;
        Ok(n > 0)
    }
}
