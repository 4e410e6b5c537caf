//! `assay backup` while the server ingests, the copy read back, and `assay restore` from it.
//! PostgreSQL answers with the `pg_dump` / `pg_restore` line and copies nothing.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assay::server::sql::Db;
use assay::server::store::Store;
use reqwest::StatusCode;

use super::common::{self, Kind, TestApp};
use super::harness::{aggregates_match_a_recount, batch, run_bin, whole_epochs, Api, Server};

crate::on_both_backends!(backup_during_ingestion_is_a_consistent_copy_and_restores);

const K: usize = 300;

async fn backup_during_ingestion_is_a_consistent_copy_and_restores(t: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assay-backup.db");
    let file_s = file.to_str().unwrap().to_string();
    if t.kind() == Kind::Postgres {
        let (status, out, err) = run_bin(&["--database-url", &t.url, "backup", &file_s]);
        assert_eq!(status.code(), Some(2), "{err}");
        assert_eq!(out.trim(), format!("pg_dump --format=custom --file='{file_s}' \"$DATABASE_URL\""));
        assert!(!file.exists(), "nothing copied");
        let (status, out, _) = run_bin(&["--database-url", &t.url, "restore", &file_s]);
        assert_eq!(status.code(), Some(2));
        assert!(out.starts_with("pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\""), "{out}");
        return;
    }
    let server = Server::start(&t.url, &[]).await;
    let api = Api::new(&server.base, &t.write);
    let cases = Arc::new(api.seed_bench("bk", K).await);
    let run = api.trigger("bk").await;
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (api, cases, acked, stop) = (api.clone(), cases.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut epoch = 1;
            while !stop.load(Ordering::SeqCst) {
                let (s, e) = api.post(&format!("/api/runs/{run}/results"), &batch(&cases, epoch)).await;
                assert_eq!(s, StatusCode::OK, "{e}");
                acked.lock().unwrap().insert(epoch);
                epoch += 1;
            }
        })
    };
    while acked.lock().unwrap().len() < 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The backup runs while batches keep arriving.
    let before = acked.lock().unwrap().clone();
    let (status, out, err) = tokio::task::spawn_blocking({
        let (url, f) = (t.url.clone(), file_s.clone());
        move || run_bin(&["--database-url", &url, "backup", &f])
    })
    .await
    .unwrap();
    let after = acked.lock().unwrap().clone();
    assert!(status.success(), "{out}{err}");
    assert!(out.contains("backed up") && out.contains(" runs, "), "{out}");
    while acked.lock().unwrap().len() < after.len() + 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    pusher.await.unwrap();

    // The copy: every batch in it whole, every batch acknowledged before the backup began, none
    // acknowledged after it ended, and aggregates that match its own rows.
    let copy_url = format!("sqlite://{file_s}");
    let copy = Store::connect(&copy_url).await.unwrap();
    let copy_db = Db::connect(&copy_url).await.unwrap();
    let (check,): (String,) = copy_db.one("PRAGMA integrity_check", vec![]).await.unwrap();
    assert_eq!(check, "ok");
    let in_copy = whole_epochs(&copy_db, run, K as i64).await;
    assert!(before.is_subset(&in_copy), "batches acknowledged before the backup: {before:?}, in the copy: {in_copy:?}");
    let all = acked.lock().unwrap().clone();
    assert!(in_copy.len() < all.len(), "the copy is a snapshot, not the database at the end: {}", in_copy.len());
    assert!(in_copy.len() <= after.len() + 1, "at most the batch committing while the backup finished: {in_copy:?} vs {after:?}");
    let copied_run = copy.recomputed_run(run).await.unwrap();
    assert_eq!(copied_run, copy.get_run(run).await.unwrap(), "the copy's aggregates equal a recount of its rows");
    copy.close().await;
    copy_db.close().await;

    // Never over an existing file.
    let (status, _, err) = run_bin(&["--database-url", &t.url, "backup", &file_s]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("exists"), "{err}");
    // Restore refuses a database that holds runs unless forced; the live one is untouched.
    let (status, _, err) = run_bin(&["--database-url", &t.url, "restore", &file_s]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("--force"), "{err}");
    assert_eq!(whole_epochs(&t.db, run, K as i64).await, all);
    // Restored into a new database, a server serves exactly the copy.
    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let (status, out, err) = run_bin(&["--database-url", &restored, "restore", &file_s]);
    assert!(status.success(), "{out}{err}");
    drop(server);
    let server = Server::start(&restored, &[]).await;
    let api = Api::new(&server.base, &t.write);
    let restored_store = Store::connect(&restored).await.unwrap();
    let restored_db = Db::connect(&restored).await.unwrap();
    assert_eq!(whole_epochs(&restored_db, run, K as i64).await, in_copy);
    let live = aggregates_match_a_recount(&api, &restored_store, run).await;
    assert_eq!(live["results_count"], in_copy.len() as i64 * K as i64);
    // A file that is not a database is refused before anything is touched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let (status, _, err) = run_bin(&["--database-url", &restored, "restore", "--force", junk.to_str().unwrap()]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("not an Assay database"), "{err}");
    assert_eq!(whole_epochs(&restored_db, run, K as i64).await, in_copy);
}
