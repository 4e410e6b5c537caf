//! Reads that only the pages make: a run's score histogram, one case with its result and a
//! page of its trace, the case's score across runs, a bench's trend, cases and channels. Each is
//! index-backed; none scans a run's results except the histogram (one index range, cached by the
//! page once the run is finished).

use std::collections::HashMap;

use super::rows::{CaseDbRow, CASE_SELECT};
use super::{Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::model::views::{CaseHistoryPoint, CaseListPage, CaseRow, TrendPoint};
use crate::model::{Bench, Case, Channel};
use crate::server::sql::{Backend, Val};
use crate::server::time::fmt_ms;

pub use super::{clip, TEXT_CAP, TRACE_TEXT_CAP};

/// What a trend point reads of a completed run.
#[derive(sqlx::FromRow)]
struct TrendRow {
    id: i64,
    bench_id: i64,
    channel: String,
    triggered_at: i64,
    mode: String,
    workflow_version_number: i64,
    judge_version_number: i64,
    scored_count: i64,
    score_sum: f64,
    passed: i64,
    failed: i64,
    inconclusive: i64,
}

const TREND_COLS: &str = "id, bench_id, channel, triggered_at, mode, workflow_version_number, judge_version_number, \
     scored_count, score_sum, passed, failed, inconclusive";

impl TrendRow {
    fn into_point(self) -> TrendPoint {
        let judged = self.passed + self.failed + self.inconclusive;
        TrendPoint {
            run_id: self.id,
            channel: self.channel,
            triggered_at_ms: self.triggered_at,
            sampled: self.mode != "full",
            workflow_version: self.workflow_version_number,
            judge_version: self.judge_version_number,
            mean_score: (self.scored_count > 0).then(|| self.score_sum / self.scored_count as f64),
            pass_rate: (judged > 0).then(|| self.passed as f64 / judged as f64),
        }
    }
}

impl StoreTx {
    /// Counts of a run's scores in `buckets` equal bins from 0 to the run's score max (scores
    /// outside fall in the end bins). One index range (`results_by_score`), grouped in SQL.
    pub(crate) async fn histogram(&mut self, run_id: i64, score_max: f64, buckets: i64) -> StoreResult<Vec<u64>> {
        let bin = match self.backend() {
            Backend::Sqlite => "CAST(headline_score * $2 / $3 AS INTEGER)",
            Backend::Postgres => "CAST(FLOOR(headline_score * $2 / $3) AS BIGINT)",
        };
        let rows = self
            .all::<(i64, i64)>(
                &format!(
                    "SELECT {bin} AS b, COUNT(*) FROM results WHERE run_id = $1 AND headline_score IS NOT NULL GROUP BY b"
                ),
                args![run_id, buckets as f64, score_max],
            )
            .await?;
        let mut out = vec![0u64; buckets.max(1) as usize];
        for (b, n) in rows {
            let i = b.clamp(0, buckets - 1) as usize;
            out[i] += n as u64;
        }
        Ok(out)
    }
}

impl Store {
    /// Counts of a run's scores in `buckets` equal bins from 0 to `score_max` (see
    /// [`StoreTx::histogram`]).
    pub async fn score_histogram(&self, run_id: i64, score_max: f64, buckets: i64) -> StoreResult<Vec<u64>> {
        let mut tx = self.begin_read().await?;
        let out = tx.histogram(run_id, score_max, buckets).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The id of one result.
    pub async fn result_id(&self, run_id: i64, case_id: &str, epoch: i64) -> StoreResult<i64> {
        self.db
            .opt::<(i64,)>(
                "SELECT id FROM results WHERE run_id = $1 AND case_id = $2 AND epoch = $3",
                args![run_id, case_id, epoch],
            )
            .await?
            .map(|r| r.0)
            .ok_or_else(|| {
                StoreError::not_found(format!("run {run_id} has no result for case '{case_id}' epoch {epoch}"))
            })
    }

    /// The epochs a run has for a case, in order.
    pub async fn result_epochs(&self, run_id: i64, case_id: &str) -> StoreResult<Vec<i64>> {
        Ok(self
            .db
            .all::<(i64,)>(
                "SELECT epoch FROM results WHERE run_id = $1 AND case_id = $2 ORDER BY epoch",
                args![run_id, case_id],
            )
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }

    /// One case of a bench as stored now.
    pub async fn get_case(&self, bench_id: i64, case_id: &str) -> StoreResult<Option<Case>> {
        Ok(self
            .db
            .opt::<CaseDbRow>(&format!("{CASE_SELECT} WHERE bench_id = $1 AND case_id = $2"), args![bench_id, case_id])
            .await?
            .map(CaseDbRow::into_model))
    }

    /// This case's score in the bench's runs, newest first (epochs averaged): through the
    /// `results_by_case` index.
    pub async fn case_history(&self, bench_id: i64, case_id: &str, limit: i64) -> StoreResult<Vec<CaseHistoryPoint>> {
        #[derive(sqlx::FromRow)]
        struct H {
            run_id: i64,
            channel: String,
            triggered_at: i64,
            run_status: String,
            score: Option<f64>,
            epochs: i64,
            status: Option<String>,
            verdict: Option<String>,
        }
        let rows = self
            .db
            .all::<H>(
                "SELECT r.run_id, u.channel, u.triggered_at, u.status AS run_status, AVG(r.headline_score) AS score, \
                 COUNT(*) AS epochs, MIN(CASE WHEN r.epoch = 1 THEN r.status END) AS status, \
                 MIN(CASE WHEN r.epoch = 1 THEN r.verdict END) AS verdict \
                 FROM results r JOIN runs u ON u.id = r.run_id WHERE r.case_id = $1 AND u.bench_id = $2 \
                 GROUP BY r.run_id, u.channel, u.triggered_at, u.status ORDER BY u.triggered_at DESC, r.run_id DESC LIMIT $3",
                args![case_id, bench_id, limit],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|h| CaseHistoryPoint {
                run_id: h.run_id,
                channel: h.channel,
                triggered_at: fmt_ms(h.triggered_at),
                run_status: h.run_status,
                score: h.score,
                epochs: h.epochs,
                status: h.status,
                verdict: h.verdict,
            })
            .collect())
    }

    /// Completed runs of a bench, oldest first (the last `limit`), for trend charts.
    pub async fn bench_trend(&self, bench_id: i64, limit: i64) -> StoreResult<Vec<TrendPoint>> {
        let mut rows = self
            .db
            .all::<TrendRow>(
                &format!(
                    "SELECT {TREND_COLS} FROM runs WHERE bench_id = $1 AND status = 'completed' \
                     ORDER BY triggered_at DESC, id DESC LIMIT $2"
                ),
                args![bench_id, limit],
            )
            .await?;
        rows.reverse();
        Ok(rows.into_iter().map(TrendRow::into_point).collect())
    }

    /// [`Store::bench_trend`] of every bench, one statement per 200 benches (one index walk per bench, so no
    /// bench's older runs are read): bench id → points, oldest first.
    pub async fn bench_trends(&self, limit: i64) -> StoreResult<HashMap<i64, Vec<TrendPoint>>> {
        let ids: Vec<(i64,)> = self.db.all("SELECT id FROM benches ORDER BY id", vec![]).await?;
        let mut out: HashMap<i64, Vec<TrendPoint>> = HashMap::new();
        // SQLite allows at most 500 terms in one compound SELECT.
        for chunk in ids.chunks(200) {
            let branches: Vec<String> = chunk
                .iter()
                .map(|(id,)| {
                    format!(
                        "SELECT * FROM (SELECT {TREND_COLS} FROM runs WHERE bench_id = {id} AND status = 'completed' \
                         ORDER BY triggered_at DESC, id DESC LIMIT $1) t{id}"
                    )
                })
                .collect();
            let sql = format!("{} ORDER BY bench_id, triggered_at, id", branches.join(" UNION ALL "));
            for r in self.db.all::<TrendRow>(&sql, args![limit]).await? {
                out.entry(r.bench_id).or_default().push(r.into_point());
            }
        }
        Ok(out)
    }

    /// A page of a bench's cases in id order, optionally those with `tag`.
    pub async fn list_cases(
        &self,
        bench_id: i64,
        tag: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<CaseListPage> {
        #[derive(sqlx::FromRow)]
        struct C {
            case_id: String,
            name: Option<String>,
            tags: String,
            frozen: bool,
        }
        let mut args = args![bench_id, after.unwrap_or(""), limit + 1];
        let tag_pred = match tag {
            Some(t) => {
                args.push(Val::from(t));
                "AND c.case_id IN (SELECT t.case_id FROM case_tags t WHERE t.bench_id = $1 AND t.tag = $4)"
            }
            None => "",
        };
        let mut rows = self
            .db
            .all::<C>(
                &format!(
                    "SELECT c.case_id, c.name, c.tags, c.frozen FROM cases c WHERE c.bench_id = $1 AND c.case_id > $2 \
                     {tag_pred} ORDER BY c.case_id LIMIT $3"
                ),
                args,
            )
            .await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|c| c.case_id.clone())
        } else {
            None
        };
        let tags = self
            .db
            .all::<(String, i64)>(
                "SELECT tag, COUNT(*) FROM case_tags WHERE bench_id = $1 GROUP BY tag ORDER BY tag",
                args![bench_id],
            )
            .await?;
        Ok(CaseListPage {
            cases: rows
                .into_iter()
                .map(|c| CaseRow {
                    id: c.case_id,
                    name: c.name,
                    tags: serde_json::from_str(&c.tags).unwrap_or_default(),
                    frozen: c.frozen,
                })
                .collect(),
            next_after: next,
            tags,
        })
    }

    /// Every channel of a script, with its publish history.
    pub async fn script_channels(&self, kind: &str, name: &str) -> StoreResult<Vec<Channel>> {
        let names = self
            .db
            .all::<(String,)>(
                "SELECT c.name FROM channels c JOIN scripts s ON s.id = c.script_id \
                 WHERE s.kind = $1 AND s.name = $2 ORDER BY c.name",
                args![kind, name],
            )
            .await?;
        let mut out = Vec::with_capacity(names.len());
        for (channel,) in names {
            out.push(self.get_channel(kind, name, &channel).await?);
        }
        Ok(out)
    }

    /// A bench by name, or None.
    pub async fn find_bench(&self, name: &str) -> StoreResult<Option<Bench>> {
        match self.get_bench(name).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("héllo", 2), ("hé".to_string(), true));
        assert_eq!(clip("héllo", 5), ("héllo".to_string(), false));
        assert_eq!(clip("", 3), (String::new(), false));
    }
}
