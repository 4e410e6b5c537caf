//! Whether the database answers, and whether its schema is the one this binary embeds: the
//! applied migrations must be exactly the embedded ones (none pending, none failed, none
//! changed, none from a newer Assay). What `/readyz` reports.

use super::{Store, StoreResult};
use crate::server::sql::migrations::embedded;

/// The database's schema against this binary's.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaState {
    /// Every embedded migration applied, and no other: this many.
    Current(usize),
    /// Why the schema is not current.
    NotCurrent(String),
}

impl Store {
    /// Fails only when the database does not answer.
    pub async fn schema_state(&self) -> StoreResult<SchemaState> {
        self.db.one::<(i64,)>("SELECT CAST(1 AS BIGINT)", vec![]).await?;
        // A database never migrated has no migrations table: nothing applied.
        let applied: Vec<(i64, bool, Vec<u8>)> = self
            .db
            .all("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version", vec![])
            .await
            .unwrap_or_default();
        Ok(match compare(&applied, &embedded(self.backend())) {
            Ok(()) => SchemaState::Current(applied.len()),
            Err(why) => SchemaState::NotCurrent(why),
        })
    }
}

/// Whether the applied migrations `(version, success, checksum)` are exactly the embedded ones.
pub fn compare(applied: &[(i64, bool, Vec<u8>)], embedded: &[(i64, Vec<u8>)]) -> Result<(), String> {
    if let Some((v, _, _)) = applied.iter().find(|(_, ok, _)| !ok) {
        return Err(format!("migration {v} failed part-way: the schema needs repair"));
    }
    if let Some((v, _, _)) = applied.iter().find(|(v, _, _)| !embedded.iter().any(|(e, _)| e == v)) {
        return Err(format!("migration {v} is not one this binary knows: the database is from a newer Assay"));
    }
    if let Some((v, _, _)) = applied.iter().find(|(v, _, sum)| embedded.iter().any(|(e, s)| e == v && s != sum)) {
        return Err(format!("migration {v} was applied from a different file than this binary embeds"));
    }
    let pending = embedded.iter().filter(|(e, _)| !applied.iter().any(|(v, _, _)| v == e)).count();
    if pending > 0 {
        return Err(format!(
            "{pending} of {} migrations are pending: run `assay migrate` (or restart the server)",
            embedded.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_current_only_when_exactly_the_embedded_ones_applied() {
        let embedded = vec![(1, vec![1]), (2, vec![2])];
        assert_eq!(compare(&[(1, true, vec![1]), (2, true, vec![2])], &embedded), Ok(()));
        assert!(compare(&[(1, true, vec![1])], &embedded).unwrap_err().contains("1 of 2 migrations are pending"));
        assert!(compare(&[], &embedded).unwrap_err().contains("2 of 2"));
        assert!(compare(&[(1, true, vec![1]), (2, false, vec![2])], &embedded).unwrap_err().contains("failed"));
        assert!(compare(&[(1, true, vec![1]), (2, true, vec![9])], &embedded).unwrap_err().contains("different file"));
        let newer = [(1, true, vec![1]), (2, true, vec![2]), (3, true, vec![3])];
        assert!(compare(&newer, &embedded).unwrap_err().contains("newer Assay"));
    }
}
