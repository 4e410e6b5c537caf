//! Benches and their cases (upserted by the client's case id; frozen cases refuse changes).

use std::collections::{HashMap, HashSet};

use super::input::{check_case_id, check_slug, BenchSettings, CaseInput, PutBench};
use super::rows::{BenchRow, BENCH_SELECT};
use super::{Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::model::{Bench, UpsertCounts};
use crate::server::hash::{canonical_json, input_hash};
use crate::server::sql::{any_of, lock_row, select_in, BatchInsert, Col, Keys, Ty, Val};
use crate::server::time::now_ms;

impl StoreTx {
    pub(crate) async fn bench_by_name(&mut self, name: &str) -> StoreResult<Option<BenchRow>> {
        Ok(self.opt::<BenchRow>(&format!("{BENCH_SELECT} WHERE b.name = $1"), args![name]).await?)
    }
}

impl StoreTx {
    pub(crate) async fn put_bench(&mut self, name: &str, s: &BenchSettings) -> StoreResult<BenchRow> {
        check_slug("bench", name)?;
        // A name that names nothing is a 404 with the field, like an unknown bench in a trigger.
        let wid = self.script_id("workflow", &s.workflow).await?.ok_or_else(|| {
            StoreError::not_found(format!("no workflow script named '{}': publish a version first", s.workflow))
                .field("workflow")
        })?;
        let jid = self.script_id("judge", &s.judge).await?.ok_or_else(|| {
            StoreError::not_found(format!("no judge script named '{}': publish a version first", s.judge)).field("judge")
        })?;
        let now = now_ms();
        self.exec(
            "INSERT INTO benches (name, description, workflow_script_id, judge_script_id, judge_channel, score_max, \
             pass_threshold, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description, \
             workflow_script_id = excluded.workflow_script_id, judge_script_id = excluded.judge_script_id, \
             judge_channel = excluded.judge_channel, score_max = excluded.score_max, \
             pass_threshold = excluded.pass_threshold, updated_at = excluded.updated_at",
            args![name, s.description.clone(), wid, jid, s.judge_channel.clone(), s.score_max, s.pass_threshold, now],
        )
        .await?;
        self.bench_by_name(name).await?.ok_or_else(|| StoreError::internal("bench vanished"))
    }
}

/// What a case upsert compares and writes: canonical JSON texts, sorted tags.
#[derive(sqlx::FromRow, PartialEq)]
struct CaseContent {
    name: Option<String>,
    inputs: Option<String>,
    expected_output: Option<String>,
    ground_truth: Option<String>,
    tags: String,
    frozen: bool,
}

#[derive(sqlx::FromRow)]
struct StoredCase {
    case_id: String,
    #[sqlx(flatten)]
    content: CaseContent,
}

/// A case row to write.
struct NewCase {
    bench_id: i64,
    case_id: String,
    content: CaseContent,
    input_hash: String,
    at: i64,
}

const CASE_COLS: &[Col<NewCase>] = &[
    Col::new("bench_id", Ty::I64, |c| c.bench_id.into()),
    Col::new("case_id", Ty::Text, |c| (&c.case_id).into()),
    Col::new("name", Ty::Text, |c| c.content.name.clone().into()),
    Col::new("inputs", Ty::Text, |c| c.content.inputs.clone().into()),
    Col::new("expected_output", Ty::Text, |c| c.content.expected_output.clone().into()),
    Col::new("ground_truth", Ty::Text, |c| c.content.ground_truth.clone().into()),
    Col::new("tags", Ty::Text, |c| (&c.content.tags).into()),
    Col::new("input_hash", Ty::Text, |c| (&c.input_hash).into()),
    Col::new("frozen", Ty::Bool, |c| c.content.frozen.into()),
    Col::new("created_at", Ty::I64, |c| c.at.into()),
    Col::new("updated_at", Ty::I64, |c| c.at.into()),
];

/// `(bench_id, case_id, tag)`.
const TAG_COLS: &[Col<(i64, String, String)>] = &[
    Col::new("bench_id", Ty::I64, |t| t.0.into()),
    Col::new("case_id", Ty::Text, |t| (&t.1).into()),
    Col::new("tag", Ty::Text, |t| (&t.2).into()),
];

fn canon(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(canonical_json)
}

impl StoreTx {
    /// Upsert cases by id. A case whose content is the same is counted unchanged and not written.
    pub(crate) async fn upsert_cases(
        &mut self,
        bench: &BenchRow,
        cases: &[CaseInput],
        field_prefix: &str,
    ) -> StoreResult<UpsertCounts> {
        let mut seen = HashSet::new();
        for (i, c) in cases.iter().enumerate() {
            check_case_id(&format!("{field_prefix}[{i}].id"), &c.id)?;
            if !seen.insert(c.id.as_str()) {
                return Err(StoreError::invalid(
                    format!("{field_prefix}[{i}].id"),
                    format!("case id '{}' appears twice in this request", c.id),
                ));
            }
            for (t, tag) in c.tags.iter().enumerate() {
                if tag.is_empty() || tag.chars().count() > 128 {
                    return Err(StoreError::invalid(
                        format!("{field_prefix}[{i}].tags[{t}]"),
                        "a tag must be 1–128 characters",
                    ));
                }
            }
        }
        lock_row(self, "benches", bench.id).await?;
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        let stored: HashMap<String, StoredCase> = select_in::<StoredCase>(
            self,
            "SELECT case_id, name, inputs, expected_output, ground_truth, tags, frozen FROM cases \
             WHERE bench_id = $1 AND {in}",
            args![bench.id],
            "case_id",
            &ids,
        )
        .await?
        .into_iter()
        .map(|c| (c.case_id.clone(), c))
        .collect();

        let now = now_ms();
        let mut counts = UpsertCounts::default();
        let mut rows = Vec::new();
        let mut retagged: Vec<(String, Vec<String>)> = Vec::new();
        for (i, c) in cases.iter().enumerate() {
            let mut tags = c.tags.clone();
            tags.sort();
            tags.dedup();
            let old = stored.get(&c.id).map(|o| &o.content);
            let content = CaseContent {
                name: c.name.clone(),
                inputs: canon(&c.inputs),
                expected_output: canon(&c.expected_output),
                ground_truth: canon(&c.ground_truth),
                tags: serde_json::to_string(&tags).expect("tags serialise"),
                frozen: c.frozen.or(old.map(|o| o.frozen)).unwrap_or(false),
            };
            match old {
                Some(old) if old.frozen
                    && (old.inputs != content.inputs || old.expected_output != content.expected_output) =>
                {
                    return Err(StoreError::conflict(
                        "frozen_case",
                        format!("case '{}' is frozen: its inputs and expected output cannot change", c.id),
                    )
                    .field(format!("{field_prefix}[{i}]")));
                }
                Some(old) if *old == content => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.created += 1,
            }
            if old.is_none_or(|o| o.tags != content.tags) {
                retagged.push((c.id.clone(), tags));
            }
            rows.push(NewCase {
                bench_id: bench.id,
                case_id: c.id.clone(),
                content,
                input_hash: input_hash(c.inputs.as_ref()),
                at: now,
            });
        }
        BatchInsert {
            table: "cases",
            cols: CASE_COLS,
            suffix: "ON CONFLICT (bench_id, case_id) DO UPDATE SET name = excluded.name, inputs = excluded.inputs, \
                     expected_output = excluded.expected_output, ground_truth = excluded.ground_truth, \
                     tags = excluded.tags, input_hash = excluded.input_hash, frozen = excluded.frozen, \
                     updated_at = excluded.updated_at",
        }
        .run(self, &rows)
        .await?;

        if !retagged.is_empty() {
            let ids: Vec<String> = retagged.iter().map(|(id, _)| id.clone()).collect();
            let (pred, keys) = any_of(self.backend(), "case_id", 2, Keys::Text(&ids));
            self.exec(
                &format!("DELETE FROM case_tags WHERE bench_id = $1 AND {pred}"),
                vec![Val::from(bench.id), keys],
            )
            .await?;
            let tag_rows: Vec<(i64, String, String)> = retagged
                .into_iter()
                .flat_map(|(id, tags)| tags.into_iter().map(move |t| (bench.id, id.clone(), t)))
                .collect();
            BatchInsert { table: "case_tags", cols: TAG_COLS, suffix: "" }.run(self, &tag_rows).await?;
        }
        if counts.created + counts.updated > 0 {
            self.exec("UPDATE benches SET updated_at = $1 WHERE id = $2", args![now, bench.id]).await?;
        }
        Ok(counts)
    }

    pub(crate) async fn case_count(&mut self, bench_id: i64) -> StoreResult<i64> {
        Ok(self.one::<(i64,)>("SELECT COUNT(*) FROM cases WHERE bench_id = $1", args![bench_id]).await?.0)
    }
}

impl Store {
    pub async fn put_bench(&self, name: &str, p: &PutBench) -> StoreResult<Bench> {
        let settings = BenchSettings::from_put(p)?;
        let mut tx = self.begin().await?;
        let row = tx.put_bench(name, &settings).await?;
        let n = tx.case_count(row.id).await?;
        tx.commit().await?;
        Ok(row.into_model(n))
    }

    pub async fn upsert_cases(&self, bench: &str, cases: &[CaseInput]) -> StoreResult<UpsertCounts> {
        let mut tx = self.begin().await?;
        let b = tx
            .bench_by_name(bench)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no bench named '{bench}'")).field("bench"))?;
        let counts = tx.upsert_cases(&b, cases, "cases").await?;
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn get_bench(&self, name: &str) -> StoreResult<Bench> {
        let row = self
            .db
            .opt::<BenchRow>(&format!("{BENCH_SELECT} WHERE b.name = $1"), args![name])
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no bench named '{name}'")))?;
        let (n,) = self.db.one::<(i64,)>("SELECT COUNT(*) FROM cases WHERE bench_id = $1", args![row.id]).await?;
        Ok(row.into_model(n))
    }
}
