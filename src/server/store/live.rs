//! Reads behind the live event streams: where a run's stream stands (its status and the last
//! sequence number handed out), its results after a sequence number in the seed's `BenchResult`
//! shape, and the signal that tells every server on one PostgreSQL that a run moved
//! (`NOTIFY` with the run id only; each listener reads the rows itself).
//!
//! The store only reads and signals here: who is subscribed, and when to send, is the events
//! hub's business (`server::events`), above the store.

use serde_json::Value;

use super::rows::{ResultRow, RESULT_SELECT};
use super::{Store, StoreError, StoreResult};
use crate::args;
use crate::domain::RunStatus;
use crate::server::sql::{sqlite_raw, Db, Heard, Listener};

/// The PostgreSQL channel that carries "run N changed".
const CHANNEL: &str = "assay_run_changes";

/// Where a run's event stream stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveState {
    pub status: RunStatus,
    /// The last sequence number handed to one of its results (0 before the first).
    pub event_seq: i64,
}

/// What the change listener hears.
#[derive(Debug, PartialEq, Eq)]
pub enum RunChange {
    /// Results were written to this run, or it finished, or it was deleted.
    Run(i64),
    /// The listening connection dropped and reconnects: changes may have been missed.
    Lost,
}

/// Change signals from every server on the database (PostgreSQL only).
pub struct RunChanges(Listener);

impl RunChanges {
    pub async fn recv(&mut self) -> StoreResult<RunChange> {
        loop {
            match self.0.recv().await? {
                Heard::Lost => return Ok(RunChange::Lost),
                // Payloads come from Assay servers only; anything else on the channel is skipped.
                Heard::Payload(p) => {
                    if let Ok(id) = p.parse::<i64>() {
                        return Ok(RunChange::Run(id));
                    }
                }
            }
        }
    }
}

impl Store {
    /// A run's status and last sequence number; `NotFound` for an unknown run.
    pub async fn live_state(&self, run_id: i64) -> StoreResult<LiveState> {
        let (status, event_seq) = self
            .db
            .opt::<(String, i64)>("SELECT status, event_seq FROM runs WHERE id = $1", args![run_id])
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no run {run_id}")))?;
        let status = RunStatus::parse(&status)
            .ok_or_else(|| StoreError::internal(format!("run {run_id} has unknown status '{status}'")))?;
        Ok(LiveState { status, event_seq })
    }

    /// Up to `limit` results of a run with `after < seq <= upto`, in sequence order, each with
    /// its sequence number. A replaced row is gone from here and back under a later number.
    pub async fn results_between_seq(
        &self,
        run_id: i64,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, Value)>> {
        let sql = format!("{RESULT_SELECT} WHERE r.run_id = $1 AND r.seq > $2 AND r.seq <= $3 ORDER BY r.seq LIMIT $4");
        let rows = match &self.db {
            // Stepped at C speed: sqlx costs microseconds a row, and a live batch of 1,000 rows is
            // read while the next one is being written (tens of ms of the commit → event time).
            Db::Sqlite { read, .. } => {
                sqlite_raw::with_read(read, move |raw| {
                    let mut q = raw.prepare(&sql)?;
                    for (i, v) in [run_id, after, upto, limit].into_iter().enumerate() {
                        q.bind_i64(i as i32 + 1, v)?;
                    }
                    let mut rows = Vec::new();
                    while let Some(r) = q.next()? {
                        rows.push(ResultRow::from_raw(&r));
                    }
                    Ok(rows)
                })
                .await?
            }
            Db::Postgres(_) => self.db.all::<ResultRow>(&sql, args![run_id, after, upto, limit]).await?,
        };
        rows.into_iter().map(|r| Ok((r.seq, r.into_seed_json()?))).collect()
    }

    /// Tell every server on this database that `run_id` changed (PostgreSQL; nothing on SQLite,
    /// which is one process). Call it after the change has committed.
    pub async fn notify_run_changed(&self, run_id: i64) -> StoreResult<()> {
        Ok(self.db.notify(CHANNEL, &run_id.to_string()).await?)
    }

    /// Hear every server's [`Store::notify_run_changed`] (PostgreSQL), or `None` on SQLite.
    pub async fn listen_run_changes(&self) -> StoreResult<Option<RunChanges>> {
        Ok(self.db.listen(CHANNEL).await?.map(RunChanges))
    }
}
