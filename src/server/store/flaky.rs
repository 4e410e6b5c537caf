//! Flaky cases of a bench: its recent completed runs, the cases whose verdict changed under the
//! same workflow version, judge version and inputs (`domain::flaky`). Two statements: one
//! aggregate finds the conditions that saw both verdicts (most cases never did, and are not
//! read again), one reads the verdicts of just those cases in order. Answers are kept per
//! (bench, channel, last) until a newer completed run changes which runs they cover.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Store, StoreError, StoreResult};
use crate::domain::flaky::{flakiness, Observation};
use crate::model::flaky::{FlakyCase, FlakyReport};
use crate::args;
use crate::server::sql::select_in;

/// `?last=` at most.
pub const MAX_LAST: i64 = 200;
/// Answers kept; when full the cache starts over.
const CAP: usize = 256;

type Key = (i64, Option<String>, i64);

#[derive(Debug, Default)]
pub(crate) struct FlakyCache {
    map: Mutex<HashMap<Key, Arc<FlakyReport>>>,
}

impl FlakyCache {
    fn get(&self, key: &Key, run_ids: &[i64]) -> Option<Arc<FlakyReport>> {
        let m = self.map.lock().expect("flaky cache");
        m.get(key).filter(|r| r.run_ids == run_ids).cloned()
    }

    fn put(&self, key: Key, report: Arc<FlakyReport>) {
        let mut m = self.map.lock().expect("flaky cache");
        if m.len() >= CAP {
            m.clear();
        }
        m.insert(key, report);
    }

    /// Drop answers that looked at a deleted run (SQLite hands its id out again).
    pub fn forget(&self, run_id: i64) {
        self.map.lock().expect("flaky cache").retain(|_, r| !r.run_ids.contains(&run_id));
    }
}

#[derive(sqlx::FromRow)]
struct RunKey {
    id: i64,
    workflow_version_id: i64,
    judge_version_id: i64,
}

#[derive(sqlx::FromRow)]
struct Seen {
    case_id: String,
    case_name: Option<String>,
    run_id: i64,
    epoch: i64,
    input_hash: Option<String>,
    verdict: String,
}

impl Store {
    /// The flaky cases among the last `last` completed runs of `bench` (on `channel` only, if
    /// given), most flips first.
    pub async fn flaky_cases(&self, bench: &str, channel: Option<&str>, last: i64) -> StoreResult<Arc<FlakyReport>> {
        if !(1..=MAX_LAST).contains(&last) {
            return Err(StoreError::invalid("last", format!("must be 1 to {MAX_LAST}")));
        }
        let b = self.get_bench(bench).await.map_err(|e| e.field("bench"))?;
        let (filter, mut args) = match channel {
            Some(c) => ("AND channel = $2", args![b.id, c]),
            None => ("", args![b.id]),
        };
        args.push(last.into());
        let n = args.len();
        let runs: Vec<RunKey> = self
            .db
            .all(
                &format!(
                    "SELECT id, workflow_version_id, judge_version_id FROM runs WHERE bench_id = $1 {filter} \
                     AND status = 'completed' ORDER BY triggered_at DESC, id DESC LIMIT ${n}"
                ),
                args,
            )
            .await?;
        let run_ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
        let key: Key = (b.id, channel.map(str::to_string), last);
        if let Some(hit) = self.flaky.get(&key, &run_ids) {
            return Ok(hit);
        }
        let cases = if runs.is_empty() { Vec::new() } else { self.flaky_of_runs(&runs).await? };
        let report = Arc::new(FlakyReport { bench: b.name, channel: channel.map(str::to_string), last, run_ids, cases });
        self.flaky.put(key, report.clone());
        Ok(report)
    }

    async fn flaky_of_runs(&self, runs: &[RunKey]) -> StoreResult<Vec<FlakyCase>> {
        // Run ids come from the database: safe to write into the statement.
        let ids: Vec<String> = runs.iter().map(|r| r.id.to_string()).collect();
        let ids = ids.join(",");
        let candidates: Vec<(String,)> = self
            .db
            .all(
                &format!(
                    "SELECT DISTINCT case_id FROM (SELECT r.case_id FROM results r JOIN runs u ON u.id = r.run_id \
                     WHERE r.run_id IN ({ids}) AND r.verdict IN ('pass', 'fail') \
                     GROUP BY r.case_id, u.workflow_version_id, u.judge_version_id, r.input_hash \
                     HAVING MIN(r.verdict) <> MAX(r.verdict)) t ORDER BY case_id"
                ),
                vec![],
            )
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = candidates.into_iter().map(|(c,)| c).collect();
        let mut tx = self.db.begin_read().await?;
        let seen: Vec<Seen> = select_in(
            &mut tx,
            &format!(
                "SELECT case_id, case_name, run_id, epoch, input_hash, verdict FROM results \
                 WHERE run_id IN ({ids}) AND verdict IN ('pass', 'fail') AND {{in}} ORDER BY case_id"
            ),
            vec![],
            "case_id",
            &keys,
        )
        .await?;
        tx.commit().await?;
        // Oldest run first; conditions numbered as met.
        let pos: HashMap<i64, (u32, (i64, i64))> = runs
            .iter()
            .rev()
            .enumerate()
            .map(|(i, r)| (r.id, (i as u32, (r.workflow_version_id, r.judge_version_id))))
            .collect();
        let mut groups: HashMap<(i64, i64, Option<String>), u32> = HashMap::new();
        let mut out = Vec::new();
        for case in seen.chunk_by(|x, y| x.case_id == y.case_id) {
            let mut obs: Vec<Observation> = case
                .iter()
                .filter_map(|s| {
                    let (run_pos, (wf, judge)) = *pos.get(&s.run_id)?;
                    let n = groups.len() as u32;
                    let group = *groups.entry((wf, judge, s.input_hash.clone())).or_insert(n);
                    Some(Observation { group, run_pos, epoch: s.epoch, pass: s.verdict == "pass" })
                })
                .collect();
            if let Some(f) = flakiness(&mut obs) {
                let c = &case[0];
                out.push(FlakyCase {
                    case_id: c.case_id.clone(),
                    case_label: c.case_name.clone().unwrap_or_else(|| c.case_id.clone()),
                    flips: f.flips,
                    pass_rate: f.pass_rate(),
                    passes: f.passes,
                    fails: f.fails,
                    runs: f.runs,
                    within_run: f.within_run,
                });
            }
        }
        out.sort_by(|a, b| b.flips.cmp(&a.flips).then_with(|| a.case_id.cmp(&b.case_id)));
        Ok(out)
    }
}
