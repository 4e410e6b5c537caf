//! `POST /api/import`: scripts, bench, cases, a run and its results from one bundle, written in
//! one transaction and left finished.

use super::benches::{bench_by_name, put_bench_tx, upsert_cases_tx, BenchSettings};
use super::results::ingest_tx;
use super::runs::{check_metadata, finish_tx, insert_run, resolve_versions, select_cases, Finish, NewRun};
use super::scripts::{publish_version_tx, script_id};
use super::Store;
use crate::domain::RunStatus;
use crate::model::Run;
use crate::server::db::Tx;
use crate::server::error::{ApiError, ApiResult};
use crate::server::input::{check_finite, check_slug, ImportBundle, ImportScript, PutBench, RunMode};
use crate::server::time::{now_ms, parse_ms};

/// The version number an import names: published from its source, or an existing number.
async fn import_version(tx: &mut Tx, kind: &str, s: &ImportScript) -> ApiResult<i64> {
    if let Some(p) = s.publish() {
        let (v, _) = publish_version_tx(tx, kind, &s.name, &p).await.map_err(|e| prefix(e, kind))?;
        if let Some(n) = s.version {
            if n != v.number {
                return Err(ApiError::invalid(
                    format!("{kind}.version"),
                    format!("the source given is version {} of {kind} '{}', not {n}", v.number, s.name),
                ));
            }
        }
        return Ok(v.number);
    }
    let n = s
        .version
        .ok_or_else(|| ApiError::invalid(format!("{kind}.version"), "name an existing version or give its source"))?;
    let sid = script_id(tx, kind, &s.name)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("{kind}.name"), format!("no {kind} script named '{}'", s.name)))?;
    super::scripts::version_by_number(tx, sid, n)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("{kind}.version"), format!("{kind} '{}' has no version {n}", s.name)))?;
    Ok(n)
}

fn prefix(mut e: ApiError, p: &str) -> ApiError {
    e.field = Some(match e.field {
        Some(f) => format!("{p}.{f}"),
        None => p.to_string(),
    });
    e
}

fn parse_time(field: &str, s: &Option<String>) -> ApiResult<Option<i64>> {
    match s {
        None => Ok(None),
        Some(t) => parse_ms(t)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "must be an RFC 3339 timestamp")),
    }
}

impl Store {
    pub async fn import_bundle(&self, b: ImportBundle) -> ApiResult<(Run, bool)> {
        check_slug("bench.name", &b.bench.name)?;
        let channel = b.run.channel.clone().unwrap_or_else(|| "imported".to_string());
        check_slug("run.channel", &channel)?;
        check_finite("run.temperature", b.run.temperature)?;
        let metadata = check_metadata("run.metadata", &b.run.metadata)?;
        let how = match b.run.status.as_deref().map(RunStatus::parse) {
            None | Some(Some(RunStatus::Completed)) => Finish::Complete,
            Some(Some(RunStatus::Failed)) => Finish::Fail,
            Some(Some(RunStatus::Canceled)) => Finish::Cancel,
            _ => return Err(ApiError::invalid("run.status", "an imported run is completed, failed or canceled")),
        };
        let now = now_ms();
        let triggered_at = parse_time("run.triggered_at", &b.run.triggered_at)?.unwrap_or(now);
        let completed_at = parse_time("run.completed_at", &b.run.completed_at)?.unwrap_or(now.max(triggered_at));

        let mut tx = self.db.begin().await?;
        let existing = bench_by_name(&mut tx, &b.bench.name).await?;
        if let (Some(key), Some(bench)) = (&b.run.idempotency_key, &existing) {
            if let Some((id,)) = tx
                .opt::<(i64,)>(
                    "SELECT id FROM runs WHERE bench_id = $1 AND idempotency_key = $2",
                    crate::args![bench.id, key],
                )
                .await?
            {
                let run = super::runs::run_model_tx(&mut tx, id).await?;
                tx.commit().await?;
                return Ok((run, false));
            }
        }
        let workflow_version = import_version(&mut tx, "workflow", &b.workflow).await?;
        let judge_version = import_version(&mut tx, "judge", &b.judge).await?;
        // Settings the bundle leaves out keep the stored bench's values.
        let put = PutBench {
            description: b.bench.description.clone().or_else(|| existing.as_ref().and_then(|e| e.description.clone())),
            workflow: b.workflow.name.clone(),
            judge: b.judge.name.clone(),
            judge_channel: b.bench.judge_channel.clone().or_else(|| existing.as_ref().map(|e| e.judge_channel.clone())),
            score_max: b.bench.score_max.or(existing.as_ref().map(|e| e.score_max)),
            pass_threshold: b.bench.pass_threshold.or_else(|| {
                // Only carry the stored threshold over when the scale stays the same.
                existing
                    .as_ref()
                    .filter(|e| b.bench.score_max.is_none_or(|m| m == e.score_max))
                    .map(|e| e.pass_threshold)
            }),
        };
        let settings = BenchSettings::from_put(&put).map_err(|e| prefix(e, "bench"))?;
        let bench = put_bench_tx(&mut tx, &b.bench.name, &settings).await?;
        upsert_cases_tx(&mut tx, &bench, &b.cases, "cases").await?;
        let bench_id = bench.id;
        let resolved = resolve_versions(&mut tx, bench, &channel, Some(workflow_version), Some(judge_version)).await?;
        let selection = select_cases(&mut tx, bench_id, b.run.case_ids.as_deref(), RunMode::Full, None)
            .await
            .map_err(|e| prefix(e, "run"))?;
        let id = insert_run(
            &mut tx,
            NewRun {
                resolved: &resolved,
                channel: &channel,
                status: RunStatus::Running,
                mode: RunMode::Full,
                sample_size: None,
                selection: &selection,
                triggered_by: b.run.triggered_by.clone(),
                triggered_at,
                completed_at: None,
                notes: b.run.notes.clone(),
                mcp_session_id: b.run.mcp_session_id.clone(),
                model: b.run.model.clone(),
                system_prompt: b.run.system_prompt.clone(),
                temperature: b.run.temperature,
                error: None,
                metadata,
                idempotency_key: b.run.idempotency_key.clone(),
            },
        )
        .await?;
        let mut rest = b.results;
        let mut i = 0;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(super::results::MAX_BATCH));
            let chunk = std::mem::replace(&mut rest, tail);
            ingest_tx(&mut tx, id, chunk).await.map_err(|mut e| {
                // Field paths count from the start of the bundle's results, not the chunk.
                if let Some(f) = &e.field {
                    if let Some(rest) = f.strip_prefix("results[") {
                        if let Some((n, tail)) = rest.split_once(']') {
                            if let Ok(n) = n.parse::<usize>() {
                                e.field = Some(format!("results[{}]{tail}", n + i * super::results::MAX_BATCH));
                            }
                        }
                    }
                }
                e
            })?;
            i += 1;
        }
        let run = finish_tx(&mut tx, id, how, b.run.error.clone(), completed_at).await?;
        tx.commit().await?;
        Ok((run, true))
    }
}
