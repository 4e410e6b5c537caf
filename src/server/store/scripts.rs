//! Scripts, their versions (deduplicated by content hash) and channels with publish history.

use serde_json::json;

use super::runs::{RunRow, RUN_SELECT};
use super::{lock_row, text_json, Store};
use crate::args;
use crate::model::{
    Channel, ChannelMove, ScriptVersion, ScriptVersionPage, VersionEntry, VersionRun, CHANNEL_MOVES_SHOWN,
    VERSION_RUNS_SHOWN,
};
use crate::server::db::Tx;
use crate::server::error::{ApiError, ApiResult};
use crate::server::hash::{canonical_json, sha256_hex};
use crate::server::input::{check_finite, check_name, check_slug, PublishVersion};
use crate::server::time::{fmt_ms, now_ms};

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub id: i64,
    pub script_id: i64,
    pub kind: String,
    pub script_name: String,
    pub number: i64,
    pub source: String,
    pub language: Option<String>,
    pub label: Option<String>,
    pub published_by: Option<String>,
    pub content_hash: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub config: Option<String>,
    pub created_at: i64,
}

const VERSION_SELECT: &str = "SELECT v.id, v.script_id, s.kind, s.name AS script_name, v.number, v.source, \
     v.language, v.label, v.published_by, v.content_hash, v.model, v.system_prompt, v.temperature, \
     v.config, v.created_at FROM script_versions v JOIN scripts s ON s.id = v.script_id";

impl VersionRow {
    fn into_model(self, channels: Vec<String>) -> ScriptVersion {
        ScriptVersion {
            id: self.id,
            script_id: self.script_id,
            kind: self.kind,
            script_name: self.script_name,
            number: self.number,
            source: Some(self.source),
            language: self.language,
            label: self.label,
            published_by: self.published_by,
            content_hash: self.content_hash,
            model: self.model,
            system_prompt: self.system_prompt,
            temperature: self.temperature,
            config: text_json(self.config),
            created_at: fmt_ms(self.created_at),
            channels,
        }
    }
}

pub fn check_kind(kind: &str) -> ApiResult<()> {
    match kind {
        "workflow" | "judge" => Ok(()),
        _ => Err(ApiError::not_found(format!("unknown script kind '{kind}': use 'workflow' or 'judge'"))
            .field("kind")),
    }
}

/// sha256 over the source and the fields that change what a version does.
pub fn content_hash(p: &PublishVersion) -> String {
    let doc = json!({
        "source": p.source,
        "model": p.model,
        "system_prompt": p.system_prompt,
        "temperature": p.temperature,
        "config": p.config,
    });
    sha256_hex(canonical_json(&doc).as_bytes())
}

pub(crate) async fn script_id(tx: &mut Tx, kind: &str, name: &str) -> ApiResult<Option<i64>> {
    Ok(tx
        .opt::<(i64,)>("SELECT id FROM scripts WHERE kind = $1 AND name = $2", args![kind, name])
        .await?
        .map(|r| r.0))
}

async fn version_channels(tx: &mut Tx, version_id: i64) -> ApiResult<Vec<String>> {
    Ok(tx
        .all::<(String,)>("SELECT name FROM channels WHERE version_id = $1 ORDER BY name", args![version_id])
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// A version by script and number, for resolving runs and channel moves.
pub(crate) async fn version_by_number(
    tx: &mut Tx,
    script_id: i64,
    number: i64,
) -> ApiResult<Option<VersionRow>> {
    Ok(tx
        .opt::<VersionRow>(
            &format!("{VERSION_SELECT} WHERE v.script_id = $1 AND v.number = $2"),
            args![script_id, number],
        )
        .await?)
}

/// The version a channel points at, if the channel exists.
pub(crate) async fn version_by_channel(
    tx: &mut Tx,
    script_id: i64,
    channel: &str,
) -> ApiResult<Option<VersionRow>> {
    Ok(tx
        .opt::<VersionRow>(
            &format!(
                "{VERSION_SELECT} JOIN channels c ON c.version_id = v.id \
                 WHERE c.script_id = $1 AND c.name = $2"
            ),
            args![script_id, channel],
        )
        .await?)
}

/// Point `channel` at `version_id`, appending a history row when it moves.
async fn move_channel_tx(
    tx: &mut Tx,
    script_id: i64,
    channel: &str,
    version_id: i64,
    published_by: Option<&str>,
) -> ApiResult<()> {
    let now = now_ms();
    let existing = tx
        .opt::<(i64, i64)>(
            "SELECT id, version_id FROM channels WHERE script_id = $1 AND name = $2",
            args![script_id, channel],
        )
        .await?;
    let channel_id = match existing {
        Some((_, current)) if current == version_id => return Ok(()),
        Some((id, _)) => {
            tx.exec(
                "UPDATE channels SET version_id = $1, updated_at = $2 WHERE id = $3",
                args![version_id, now, id],
            )
            .await?;
            id
        }
        None => {
            tx.one::<(i64,)>(
                "INSERT INTO channels (script_id, name, version_id, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
                args![script_id, channel, version_id, now],
            )
            .await?
            .0
        }
    };
    tx.exec(
        "INSERT INTO channel_history (channel_id, version_id, published_by, published_at) VALUES ($1, $2, $3, $4)",
        args![channel_id, version_id, published_by, now],
    )
    .await?;
    Ok(())
}

/// Publish a version (or find the one with the same content) and move `channels` to it.
/// Returns the version and whether it was created.
pub(crate) async fn publish_version_tx(
    tx: &mut Tx,
    kind: &str,
    name: &str,
    p: &PublishVersion,
) -> ApiResult<(ScriptVersion, bool)> {
    check_kind(kind)?;
    check_name("name", name)?;
    check_finite("temperature", p.temperature)?;
    for (i, c) in p.channels.iter().enumerate() {
        check_slug(&format!("channels[{i}]"), c)?;
    }
    let now = now_ms();
    tx.exec(
        "INSERT INTO scripts (kind, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (kind, name) DO NOTHING",
        args![kind, name, now],
    )
    .await?;
    let sid = script_id(tx, kind, name).await?.ok_or_else(|| ApiError::internal("script vanished"))?;
    // Serialise publishers of one script so version numbers stay dense and unique.
    lock_row(tx, "scripts", sid).await?;
    let hash = content_hash(p);
    let existing = tx
        .opt::<(i64,)>(
            "SELECT id FROM script_versions WHERE script_id = $1 AND content_hash = $2",
            args![sid, hash.clone()],
        )
        .await?;
    let (version_id, created) = match existing {
        Some((id,)) => (id, false),
        None => {
            let (next,) = tx
                .one::<(i64,)>(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM script_versions WHERE script_id = $1",
                    args![sid],
                )
                .await?;
            let (id,) = tx
                .one::<(i64,)>(
                    "INSERT INTO script_versions (script_id, number, source, language, label, published_by, \
                     content_hash, model, system_prompt, temperature, config, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    args![
                        sid,
                        next,
                        p.source.clone(),
                        p.language.clone(),
                        p.label.clone(),
                        p.published_by.clone(),
                        hash,
                        p.model.clone(),
                        p.system_prompt.clone(),
                        p.temperature,
                        super::json_text(&p.config),
                        now
                    ],
                )
                .await?;
            (id, true)
        }
    };
    for c in &p.channels {
        move_channel_tx(tx, sid, c, version_id, p.published_by.as_deref()).await?;
    }
    let row = tx
        .one::<VersionRow>(&format!("{VERSION_SELECT} WHERE v.id = $1"), args![version_id])
        .await?;
    let channels = version_channels(tx, version_id).await?;
    Ok((row.into_model(channels), created))
}

impl Store {
    pub async fn publish_version(
        &self,
        kind: &str,
        name: &str,
        p: &PublishVersion,
    ) -> ApiResult<(ScriptVersion, bool)> {
        let mut tx = self.db.begin().await?;
        let out = publish_version_tx(&mut tx, kind, name, p).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn move_channel(
        &self,
        kind: &str,
        name: &str,
        channel: &str,
        version: i64,
        published_by: Option<&str>,
    ) -> ApiResult<Channel> {
        check_kind(kind)?;
        check_slug("channel", channel)?;
        let mut tx = self.db.begin().await?;
        let sid = script_id(&mut tx, kind, name)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no {kind} script named '{name}'")).field("name"))?;
        let v = version_by_number(&mut tx, sid, version).await?.ok_or_else(|| {
            ApiError::invalid("version", format!("{kind} script '{name}' has no version {version}"))
        })?;
        move_channel_tx(&mut tx, sid, channel, v.id, published_by).await?;
        let out = channel_tx(&mut tx, sid, channel).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get_channel(&self, kind: &str, name: &str, channel: &str) -> ApiResult<Channel> {
        check_kind(kind)?;
        let mut tx = self.db.begin_read().await?;
        let sid = script_id(&mut tx, kind, name)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no {kind} script named '{name}'")))?;
        let out = channel_tx(&mut tx, sid, channel).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get_version(&self, kind: &str, name: &str, number: i64) -> ApiResult<ScriptVersion> {
        check_kind(kind)?;
        let row = self
            .db
            .opt::<VersionRow>(
                &format!("{VERSION_SELECT} WHERE s.kind = $1 AND s.name = $2 AND v.number = $3"),
                args![kind, name, number],
            )
            .await?
            .ok_or_else(|| ApiError::not_found(format!("{kind} script '{name}' has no version {number}")))?;
        let channels = self
            .db
            .all::<(String,)>("SELECT name FROM channels WHERE version_id = $1 ORDER BY name", args![row.id])
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        Ok(row.into_model(channels))
    }
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: i64,
    script_id: i64,
    kind: String,
    script_name: String,
    name: String,
    version_id: i64,
    version_number: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    version_id: i64,
    version_number: i64,
    published_by: Option<String>,
    published_at: i64,
}

async fn channel_tx(tx: &mut Tx, script_id: i64, name: &str) -> ApiResult<Channel> {
    let row = tx
        .opt::<ChannelRow>(
            "SELECT c.id, c.script_id, s.kind, s.name AS script_name, c.name, c.version_id, \
             v.number AS version_number, c.updated_at FROM channels c \
             JOIN scripts s ON s.id = c.script_id JOIN script_versions v ON v.id = c.version_id \
             WHERE c.script_id = $1 AND c.name = $2",
            args![script_id, name],
        )
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no channel '{name}'")))?;
    let history = tx
        .all::<MoveRow>(
            "SELECT h.version_id, v.number AS version_number, h.published_by, h.published_at \
             FROM channel_history h JOIN script_versions v ON v.id = h.version_id \
             WHERE h.channel_id = $1 ORDER BY h.published_at DESC, h.id DESC",
            args![row.id],
        )
        .await?
        .into_iter()
        .map(|m| ChannelMove {
            version_id: m.version_id,
            version_number: m.version_number,
            published_by: m.published_by,
            published_at: fmt_ms(m.published_at),
        })
        .collect();
    Ok(Channel {
        id: row.id,
        script_id: row.script_id,
        kind: row.kind,
        script_name: row.script_name,
        name: row.name,
        version_id: row.version_id,
        version_number: row.version_number,
        updated_at: fmt_ms(row.updated_at),
        history,
    })
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    number: i64,
    label: Option<String>,
    published_by: Option<String>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct ScriptChannelRow {
    id: i64,
    name: String,
    version_id: i64,
    version_number: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ChannelMoveRow {
    channel_id: i64,
    version_id: i64,
    version_number: i64,
    published_by: Option<String>,
    published_at: i64,
}

impl From<RunRow> for VersionRun {
    fn from(r: RunRow) -> Self {
        let run = r.into_model(Vec::new());
        VersionRun {
            id: run.id,
            bench_name: run.bench_name,
            channel: run.channel,
            status: run.status,
            mode: run.mode,
            mean_headline_score: run.mean_headline_score,
            pass_rate: run.pass_rate,
            score_max: run.score_max,
            triggered_by: run.triggered_by,
            triggered_at: run.triggered_at,
            workflow_script_name: run.workflow_script_name,
            workflow_version_number: run.workflow_version_number,
            judge_script_name: run.judge_script_name,
            judge_version_number: run.judge_version_number,
        }
    }
}

impl Store {
    /// What the page of one script version shows, read in one transaction: the version with its
    /// source, every version of the script, every channel with its latest moves, and the newest
    /// runs that used the version. `None` when the kind, script or version does not exist.
    pub async fn version_page(&self, kind: &str, name: &str, number: i64) -> ApiResult<Option<ScriptVersionPage>> {
        if check_kind(kind).is_err() {
            return Ok(None);
        }
        let mut tx = self.db.begin_read().await?;
        let Some(row) = tx
            .opt::<VersionRow>(
                &format!("{VERSION_SELECT} WHERE s.kind = $1 AND s.name = $2 AND v.number = $3"),
                args![kind, name, number],
            )
            .await?
        else {
            return Ok(None);
        };
        let (sid, vid) = (row.script_id, row.id);

        let channel_rows = tx
            .all::<ScriptChannelRow>(
                "SELECT c.id, c.name, c.version_id, v.number AS version_number, c.updated_at FROM channels c \
                 JOIN script_versions v ON v.id = c.version_id WHERE c.script_id = $1 ORDER BY c.name",
                args![sid],
            )
            .await?;
        // The latest moves of every channel in one statement (read through channel_history_by_channel).
        let moves = tx
            .all::<ChannelMoveRow>(
                "SELECT channel_id, version_id, version_number, published_by, published_at FROM ( \
                   SELECT h.channel_id, h.version_id, v.number AS version_number, h.published_by, h.published_at, h.id, \
                     ROW_NUMBER() OVER (PARTITION BY h.channel_id ORDER BY h.published_at DESC, h.id DESC) AS rn \
                   FROM channel_history h JOIN channels c ON c.id = h.channel_id \
                   JOIN script_versions v ON v.id = h.version_id WHERE c.script_id = $1) t \
                 WHERE rn <= $2 ORDER BY channel_id, published_at DESC, id DESC",
                args![sid, CHANNEL_MOVES_SHOWN],
            )
            .await?;
        let channels: Vec<Channel> = channel_rows
            .iter()
            .map(|c| Channel {
                id: c.id,
                script_id: sid,
                kind: row.kind.clone(),
                script_name: row.script_name.clone(),
                name: c.name.clone(),
                version_id: c.version_id,
                version_number: c.version_number,
                updated_at: fmt_ms(c.updated_at),
                history: moves
                    .iter()
                    .filter(|m| m.channel_id == c.id)
                    .map(|m| ChannelMove {
                        version_id: m.version_id,
                        version_number: m.version_number,
                        published_by: m.published_by.clone(),
                        published_at: fmt_ms(m.published_at),
                    })
                    .collect(),
            })
            .collect();
        let channels_of = |version_id: i64| -> Vec<String> {
            channel_rows.iter().filter(|c| c.version_id == version_id).map(|c| c.name.clone()).collect()
        };

        let versions = tx
            .all::<EntryRow>(
                "SELECT id, number, label, published_by, created_at FROM script_versions \
                 WHERE script_id = $1 ORDER BY number DESC",
                args![sid],
            )
            .await?
            .into_iter()
            .map(|e| VersionEntry {
                number: e.number,
                label: e.label,
                published_by: e.published_by,
                created_at: fmt_ms(e.created_at),
                channels: channels_of(e.id),
            })
            .collect();

        // A version belongs to one kind of script, so one indexed column says which runs used it
        // (runs_by_workflow_version / runs_by_judge_version).
        let column = if kind == "workflow" { "workflow_version_id" } else { "judge_version_id" };
        let runs = tx
            .all::<RunRow>(
                &format!("{RUN_SELECT} WHERE {column} = $1 ORDER BY triggered_at DESC, id DESC LIMIT $2"),
                args![vid, VERSION_RUNS_SHOWN],
            )
            .await?
            .into_iter()
            .map(VersionRun::from)
            .collect();
        let (runs_total,) =
            tx.one::<(i64,)>(&format!("SELECT COUNT(*) FROM runs WHERE {column} = $1"), args![vid]).await?;
        tx.commit().await?;

        let version = row.into_model(channels_of(vid));
        Ok(Some(ScriptVersionPage { version, versions, channels, runs, runs_total }))
    }
}
