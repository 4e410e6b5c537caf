//! Scripts, their versions (deduplicated by content hash) and channels with publish history.

use serde_json::json;

use super::input::{check_finite, check_kind, check_name, check_slug, PublishVersion};
use super::rows::{VersionRow, VERSION_SELECT};
use super::{json_text, Store, StoreError, StoreResult, StoreTx};
use crate::args;
use crate::model::{Channel, ChannelMove, ScriptVersion};
use crate::server::hash::{canonical_json, sha256_hex};
use crate::server::sql::lock_row;
use crate::server::time::{fmt_ms, now_ms};

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

impl StoreTx {
    pub(crate) async fn script_id(&mut self, kind: &str, name: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .opt::<(i64,)>("SELECT id FROM scripts WHERE kind = $1 AND name = $2", args![kind, name])
            .await?
            .map(|r| r.0))
    }

    async fn version_channels(&mut self, version_id: i64) -> StoreResult<Vec<String>> {
        Ok(self
            .all::<(String,)>("SELECT name FROM channels WHERE version_id = $1 ORDER BY name", args![version_id])
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }

    /// A version by script and number, for resolving runs and channel moves.
    pub(crate) async fn version_by_number(&mut self, script_id: i64, number: i64) -> StoreResult<Option<VersionRow>> {
        Ok(self
            .opt::<VersionRow>(
                &format!("{VERSION_SELECT} WHERE v.script_id = $1 AND v.number = $2"),
                args![script_id, number],
            )
            .await?)
    }

    /// The version a channel points at, if the channel exists.
    pub(crate) async fn version_by_channel(
        &mut self,
        script_id: i64,
        channel: &str,
    ) -> StoreResult<Option<VersionRow>> {
        Ok(self
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
    async fn move_channel_to(
        &mut self,
        script_id: i64,
        channel: &str,
        version_id: i64,
        published_by: Option<&str>,
    ) -> StoreResult<()> {
        let now = now_ms();
        let existing = self
            .opt::<(i64, i64)>(
                "SELECT id, version_id FROM channels WHERE script_id = $1 AND name = $2",
                args![script_id, channel],
            )
            .await?;
        let channel_id = match existing {
            Some((_, current)) if current == version_id => return Ok(()),
            Some((id, _)) => {
                self.exec(
                    "UPDATE channels SET version_id = $1, updated_at = $2 WHERE id = $3",
                    args![version_id, now, id],
                )
                .await?;
                id
            }
            None => {
                self.one::<(i64,)>(
                    "INSERT INTO channels (script_id, name, version_id, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    args![script_id, channel, version_id, now],
                )
                .await?
                .0
            }
        };
        self.exec(
            "INSERT INTO channel_history (channel_id, version_id, published_by, published_at) VALUES ($1, $2, $3, $4)",
            args![channel_id, version_id, published_by, now],
        )
        .await?;
        Ok(())
    }

    /// Publish a version (or find the one with the same content) and move `channels` to it.
    /// Returns the version and whether it was created.
    pub(crate) async fn publish_version(
        &mut self,
        kind: &str,
        name: &str,
        p: &PublishVersion,
    ) -> StoreResult<(ScriptVersion, bool)> {
        check_kind(kind)?;
        check_name("name", name)?;
        check_finite("temperature", p.temperature)?;
        for (i, c) in p.channels.iter().enumerate() {
            check_slug(&format!("channels[{i}]"), c)?;
        }
        let now = now_ms();
        self.exec(
            "INSERT INTO scripts (kind, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (kind, name) DO NOTHING",
            args![kind, name, now],
        )
        .await?;
        let sid = self.script_id(kind, name).await?.ok_or_else(|| StoreError::internal("script vanished"))?;
        // Serialise publishers of one script so version numbers stay dense and unique.
        lock_row(self, "scripts", sid).await?;
        let hash = content_hash(p);
        let existing = self
            .opt::<(i64,)>(
                "SELECT id FROM script_versions WHERE script_id = $1 AND content_hash = $2",
                args![sid, hash.clone()],
            )
            .await?;
        let (version_id, created) = match existing {
            Some((id,)) => (id, false),
            None => {
                let (next,) = self
                    .one::<(i64,)>(
                        "SELECT COALESCE(MAX(number), 0) + 1 FROM script_versions WHERE script_id = $1",
                        args![sid],
                    )
                    .await?;
                let (id,) = self
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
                            json_text(&p.config),
                            now
                        ],
                    )
                    .await?;
                (id, true)
            }
        };
        for c in &p.channels {
            self.move_channel_to(sid, c, version_id, p.published_by.as_deref()).await?;
        }
        let row = self.one::<VersionRow>(&format!("{VERSION_SELECT} WHERE v.id = $1"), args![version_id]).await?;
        let channels = self.version_channels(version_id).await?;
        Ok((row.into_model(channels), created))
    }
}

impl Store {
    pub async fn publish_version(
        &self,
        kind: &str,
        name: &str,
        p: &PublishVersion,
    ) -> StoreResult<(ScriptVersion, bool)> {
        let mut tx = self.begin().await?;
        let out = tx.publish_version(kind, name, p).await?;
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
    ) -> StoreResult<Channel> {
        check_kind(kind)?;
        check_slug("channel", channel)?;
        let mut tx = self.begin().await?;
        let sid = tx
            .script_id(kind, name)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no {kind} script named '{name}'")).field("name"))?;
        let v = tx.version_by_number(sid, version).await?.ok_or_else(|| {
            StoreError::not_found(format!("{kind} script '{name}' has no version {version}")).field("version")
        })?;
        tx.move_channel_to(sid, channel, v.id, published_by).await?;
        let out = tx.channel(sid, channel).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get_channel(&self, kind: &str, name: &str, channel: &str) -> StoreResult<Channel> {
        check_kind(kind)?;
        let mut tx = self.begin_read().await?;
        let sid = tx
            .script_id(kind, name)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no {kind} script named '{name}'")))?;
        let out = tx.channel(sid, channel).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get_version(&self, kind: &str, name: &str, number: i64) -> StoreResult<ScriptVersion> {
        check_kind(kind)?;
        let row = self
            .db
            .opt::<VersionRow>(
                &format!("{VERSION_SELECT} WHERE s.kind = $1 AND s.name = $2 AND v.number = $3"),
                args![kind, name, number],
            )
            .await?
            .ok_or_else(|| StoreError::not_found(format!("{kind} script '{name}' has no version {number}")))?;
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

impl StoreTx {
    async fn channel(&mut self, script_id: i64, name: &str) -> StoreResult<Channel> {
        let row = self
            .opt::<ChannelRow>(
                "SELECT c.id, c.script_id, s.kind, s.name AS script_name, c.name, c.version_id, \
                 v.number AS version_number, c.updated_at FROM channels c \
                 JOIN scripts s ON s.id = c.script_id JOIN script_versions v ON v.id = c.version_id \
                 WHERE c.script_id = $1 AND c.name = $2",
                args![script_id, name],
            )
            .await?
            .ok_or_else(|| StoreError::not_found(format!("no channel '{name}'")))?;
        let history = self
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
}
