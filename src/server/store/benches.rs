//! Benches and their cases (upserted by the client's case id; frozen cases refuse changes).

use std::collections::{HashMap, HashSet};

use super::{lock_row, select_in, BatchInsert, Store, Ty};
use crate::args;
use crate::model::{Bench, UpsertCounts};
use crate::server::db::{any_of, Keys, Tx, Val};
use crate::server::error::{ApiError, ApiResult};
use crate::server::hash::{canonical_json, input_hash};
use crate::server::input::{check_case_id, check_slug, CaseInput, PutBench};
use crate::server::store::scripts::script_id;
use crate::server::time::{fmt_ms, now_ms};

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct BenchRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub workflow_script_id: i64,
    pub judge_script_id: i64,
    pub workflow: String,
    pub judge: String,
    pub judge_channel: String,
    pub score_max: f64,
    pub pass_threshold: f64,
    pub created_at: i64,
    pub updated_at: i64,
}

const BENCH_SELECT: &str = "SELECT b.id, b.name, b.description, b.workflow_script_id, b.judge_script_id, \
     w.name AS workflow, j.name AS judge, b.judge_channel, b.score_max, b.pass_threshold, b.created_at, \
     b.updated_at FROM benches b JOIN scripts w ON w.id = b.workflow_script_id \
     JOIN scripts j ON j.id = b.judge_script_id";

pub(crate) async fn bench_by_name(tx: &mut Tx, name: &str) -> ApiResult<Option<BenchRow>> {
    Ok(tx.opt::<BenchRow>(&format!("{BENCH_SELECT} WHERE b.name = $1"), args![name]).await?)
}

/// The resolved settings of a bench write.
pub(crate) struct BenchSettings {
    pub description: Option<String>,
    pub workflow: String,
    pub judge: String,
    pub judge_channel: String,
    pub score_max: f64,
    pub pass_threshold: f64,
}

impl BenchSettings {
    /// Validate a PUT body; omitted optional fields take their defaults (PUT replaces).
    pub fn from_put(p: &PutBench) -> ApiResult<BenchSettings> {
        let score_max = p.score_max.unwrap_or(1.0);
        if !score_max.is_finite() || score_max <= 0.0 {
            return Err(ApiError::invalid("score_max", "must be a positive finite number"));
        }
        let pass_threshold = p.pass_threshold.unwrap_or(0.5 * score_max);
        if !pass_threshold.is_finite() || pass_threshold < 0.0 || pass_threshold > score_max {
            return Err(ApiError::invalid("pass_threshold", format!("must lie in [0, {score_max}]")));
        }
        let judge_channel = p.judge_channel.clone().unwrap_or_else(|| "production".to_string());
        check_slug("judge_channel", &judge_channel)?;
        Ok(BenchSettings {
            description: p.description.clone(),
            workflow: p.workflow.clone(),
            judge: p.judge.clone(),
            judge_channel,
            score_max,
            pass_threshold,
        })
    }
}

pub(crate) async fn put_bench_tx(tx: &mut Tx, name: &str, s: &BenchSettings) -> ApiResult<BenchRow> {
    check_slug("bench", name)?;
    let wid = script_id(tx, "workflow", &s.workflow).await?.ok_or_else(|| {
        ApiError::invalid("workflow", format!("no workflow script named '{}': publish a version first", s.workflow))
    })?;
    let jid = script_id(tx, "judge", &s.judge).await?.ok_or_else(|| {
        ApiError::invalid("judge", format!("no judge script named '{}': publish a version first", s.judge))
    })?;
    let now = now_ms();
    tx.exec(
        "INSERT INTO benches (name, description, workflow_script_id, judge_script_id, judge_channel, score_max, \
         pass_threshold, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, \
         workflow_script_id = excluded.workflow_script_id, judge_script_id = excluded.judge_script_id, \
         judge_channel = excluded.judge_channel, score_max = excluded.score_max, \
         pass_threshold = excluded.pass_threshold, updated_at = excluded.updated_at",
        args![name, s.description.clone(), wid, jid, s.judge_channel.clone(), s.score_max, s.pass_threshold, now],
    )
    .await?;
    bench_by_name(tx, name).await?.ok_or_else(|| ApiError::internal("bench vanished"))
}

#[derive(sqlx::FromRow)]
struct StoredCase {
    case_id: String,
    name: Option<String>,
    inputs: Option<String>,
    expected_output: Option<String>,
    ground_truth: Option<String>,
    tags: String,
    frozen: bool,
}

const CASE_COLS: &[(&str, Ty)] = &[
    ("bench_id", Ty::I64),
    ("case_id", Ty::Text),
    ("name", Ty::Text),
    ("inputs", Ty::Text),
    ("expected_output", Ty::Text),
    ("ground_truth", Ty::Text),
    ("tags", Ty::Text),
    ("input_hash", Ty::Text),
    ("frozen", Ty::Bool),
    ("created_at", Ty::I64),
    ("updated_at", Ty::I64),
];

fn canon(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(canonical_json)
}

/// Upsert cases by id. A case whose content is the same is counted unchanged and not written.
pub(crate) async fn upsert_cases_tx(
    tx: &mut Tx,
    bench: &BenchRow,
    cases: &[CaseInput],
    field_prefix: &str,
) -> ApiResult<UpsertCounts> {
    let mut seen = HashSet::new();
    for (i, c) in cases.iter().enumerate() {
        check_case_id(&format!("{field_prefix}[{i}].id"), &c.id)?;
        if !seen.insert(c.id.as_str()) {
            return Err(ApiError::invalid(
                format!("{field_prefix}[{i}].id"),
                format!("case id '{}' appears twice in this request", c.id),
            ));
        }
        for (t, tag) in c.tags.iter().enumerate() {
            if tag.is_empty() || tag.chars().count() > 128 {
                return Err(ApiError::invalid(format!("{field_prefix}[{i}].tags[{t}]"), "a tag must be 1–128 characters"));
            }
        }
    }
    lock_row(tx, "benches", bench.id).await?;
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let stored: HashMap<String, StoredCase> = select_in::<StoredCase>(
        tx,
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
        let inputs = canon(&c.inputs);
        let expected = canon(&c.expected_output);
        let ground = canon(&c.ground_truth);
        let mut tags = c.tags.clone();
        tags.sort();
        tags.dedup();
        let tags_json = serde_json::to_string(&tags).expect("tags serialise");
        let frozen = match stored.get(&c.id) {
            Some(old) => {
                if old.frozen && (old.inputs != inputs || old.expected_output != expected) {
                    return Err(ApiError::conflict(
                        "frozen_case",
                        format!("case '{}' is frozen: its inputs and expected output cannot change", c.id),
                    )
                    .field(format!("{field_prefix}[{i}]")));
                }
                let frozen = c.frozen.unwrap_or(old.frozen);
                if old.name == c.name
                    && old.inputs == inputs
                    && old.expected_output == expected
                    && old.ground_truth == ground
                    && old.tags == tags_json
                    && old.frozen == frozen
                {
                    counts.unchanged += 1;
                    continue;
                }
                counts.updated += 1;
                frozen
            }
            None => {
                counts.created += 1;
                c.frozen.unwrap_or(false)
            }
        };
        let hash = input_hash(c.inputs.as_ref());
        if stored.get(&c.id).is_none_or(|old| old.tags != tags_json) {
            retagged.push((c.id.clone(), tags.clone()));
        }
        rows.push(vec![
            Val::from(bench.id),
            Val::from(c.id.clone()),
            Val::from(c.name.clone()),
            Val::from(inputs),
            Val::from(expected),
            Val::from(ground),
            Val::from(tags_json),
            Val::from(hash),
            Val::from(frozen),
            Val::from(now),
            Val::from(now),
        ]);
    }
    BatchInsert {
        table: "cases",
        cols: CASE_COLS,
        suffix: "ON CONFLICT (bench_id, case_id) DO UPDATE SET name = excluded.name, inputs = excluded.inputs, \
                 expected_output = excluded.expected_output, ground_truth = excluded.ground_truth, \
                 tags = excluded.tags, input_hash = excluded.input_hash, frozen = excluded.frozen, \
                 updated_at = excluded.updated_at",
    }
    .run(tx, rows)
    .await?;

    if !retagged.is_empty() {
        let ids: Vec<String> = retagged.iter().map(|(id, _)| id.clone()).collect();
        let (pred, keys) = any_of(tx.backend(), "case_id", 2, Keys::Text(&ids));
        tx.exec(&format!("DELETE FROM case_tags WHERE bench_id = $1 AND {pred}"), vec![Val::from(bench.id), keys])
            .await?;
        let tag_rows: Vec<Vec<Val>> = retagged
            .into_iter()
            .flat_map(|(id, tags)| {
                tags.into_iter().map(move |t| vec![Val::from(bench.id), Val::from(id.clone()), Val::from(t)])
            })
            .collect();
        BatchInsert {
            table: "case_tags",
            cols: &[("bench_id", Ty::I64), ("case_id", Ty::Text), ("tag", Ty::Text)],
            suffix: "",
        }
        .run(tx, tag_rows)
        .await?;
    }
    if counts.created + counts.updated > 0 {
        tx.exec("UPDATE benches SET updated_at = $1 WHERE id = $2", args![now, bench.id]).await?;
    }
    Ok(counts)
}

impl BenchRow {
    pub fn into_model(self, case_count: i64) -> Bench {
        Bench {
            id: self.id,
            name: self.name,
            description: self.description,
            workflow: self.workflow,
            judge: self.judge,
            judge_channel: self.judge_channel,
            score_max: self.score_max,
            pass_threshold: self.pass_threshold,
            case_count,
            created_at: fmt_ms(self.created_at),
            updated_at: fmt_ms(self.updated_at),
        }
    }
}

pub(crate) async fn case_count(tx: &mut Tx, bench_id: i64) -> ApiResult<i64> {
    Ok(tx.one::<(i64,)>("SELECT COUNT(*) FROM cases WHERE bench_id = $1", args![bench_id]).await?.0)
}

impl Store {
    pub async fn put_bench(&self, name: &str, p: &PutBench) -> ApiResult<Bench> {
        let settings = BenchSettings::from_put(p)?;
        let mut tx = self.db.begin().await?;
        let row = put_bench_tx(&mut tx, name, &settings).await?;
        let n = case_count(&mut tx, row.id).await?;
        tx.commit().await?;
        Ok(row.into_model(n))
    }

    pub async fn upsert_cases(&self, bench: &str, cases: &[CaseInput]) -> ApiResult<UpsertCounts> {
        let mut tx = self.db.begin().await?;
        let b = bench_by_name(&mut tx, bench)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no bench named '{bench}'")).field("bench"))?;
        let counts = upsert_cases_tx(&mut tx, &b, cases, "cases").await?;
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn get_bench(&self, name: &str) -> ApiResult<Bench> {
        let row = self
            .db
            .opt::<BenchRow>(&format!("{BENCH_SELECT} WHERE b.name = $1"), args![name])
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no bench named '{name}'")))?;
        let (n,) = self.db.one::<(i64,)>("SELECT COUNT(*) FROM cases WHERE bench_id = $1", args![row.id]).await?;
        Ok(row.into_model(n))
    }
}

