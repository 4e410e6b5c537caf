//! The payloads of the live event streams (`text/event-stream`, SPEC §3b): what the server writes
//! as each event's `data:` and what the browser reads back.

use serde::{Deserialize, Serialize};

use super::{Run, RunStats};

/// `event: lagged`: this subscriber fell behind its buffer and `dropped` result events were not
/// sent to it (a reconnect with `Last-Event-ID` reads them from the database).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Lagged {
    pub dropped: i64,
}

/// `event: terminal`: the run finished with `status` (or was deleted: `"deleted"`); the stream
/// ends after it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Terminal {
    pub status: String,
}

/// `event: progress` of `GET /api/events?runs=…`: where a run stands after its latest change.
/// `run_id`, `results` and `status` are the short form; `run` and `stats` carry every aggregate
/// the pages show, so a page updates without asking again.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Progress {
    pub run_id: i64,
    /// Result rows stored (epochs count apart; a replacement does not add one).
    pub results: i64,
    pub status: String,
    pub run: Run,
    pub stats: RunStats,
}
