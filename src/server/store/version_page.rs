//! What the page of one script version shows, read in one snapshot: the version with its source,
//! every version of the script, every channel with its latest moves, and the newest runs that
//! used the version.

use super::input::check_kind;
use super::rows::{RunRow, VersionRow, RUN_SELECT, VERSION_SELECT};
use super::{Store, StoreResult};
use crate::args;
use crate::model::{
    Channel, ChannelMove, ScriptVersionPage, VersionEntry, VersionRun, CHANNEL_MOVES_SHOWN, VERSION_RUNS_SHOWN,
};
use crate::server::time::fmt_ms;

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
    pub async fn version_page(&self, kind: &str, name: &str, number: i64) -> StoreResult<Option<ScriptVersionPage>> {
        if check_kind(kind).is_err() {
            return Ok(None);
        }
        let mut tx = self.begin_read().await?;
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
