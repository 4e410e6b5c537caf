//! The migrations compiled into this binary, by backend: what `Db::migrate` applies, and what a
//! readiness probe or a restore compares a database's `_sqlx_migrations` with.

use super::Backend;

/// `(version, checksum)` of every embedded migration, in order.
pub fn embedded(backend: Backend) -> Vec<(i64, Vec<u8>)> {
    let migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.iter().map(|m| (m.version, m.checksum.to_vec())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_embed_the_same_versions() {
        let versions = |b| embedded(b).into_iter().map(|(v, _)| v).collect::<Vec<_>>();
        assert!(!versions(Backend::Sqlite).is_empty());
        assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
    }
}
