//! PostgreSQL `LISTEN` / `NOTIFY`: how several Assay processes on one database tell each other
//! that something changed. SQLite is one process and has no such thing (callers get `None`).

use sqlx::postgres::PgListener;

use super::Db;

/// One listening connection of its own (outside the pool's count), subscribed to one channel.
pub struct Listener(PgListener);

/// What a listener hears.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// A notification's payload.
    Payload(String),
    /// The connection dropped; the next `recv` reconnects. Notifications sent meanwhile are lost,
    /// so a caller re-reads whatever it follows.
    Lost,
}

impl Listener {
    pub async fn recv(&mut self) -> Result<Heard, sqlx::Error> {
        Ok(match self.0.try_recv().await? {
            Some(n) => Heard::Payload(n.payload().to_string()),
            None => Heard::Lost,
        })
    }
}

impl Db {
    /// Listen on `channel` (PostgreSQL), or `None` on SQLite.
    pub async fn listen(&self, channel: &str) -> Result<Option<Listener>, sqlx::Error> {
        match self {
            Db::Sqlite { .. } => Ok(None),
            Db::Postgres(pool) => {
                let mut l = PgListener::connect_with(pool).await?;
                l.listen(channel).await?;
                Ok(Some(Listener(l)))
            }
        }
    }

    /// Send `payload` to every listener of `channel` (a no-op on SQLite). PostgreSQL caps a
    /// payload at 8,000 bytes: send ids, never rows.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite { .. } => Ok(()),
            Db::Postgres(pool) => {
                sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(pool).await?;
                Ok(())
            }
        }
    }
}
