//! Script version, bench and case rows.

use crate::model::{Bench, Case, ScriptVersion};
use crate::server::store::text_json;
use crate::server::time::fmt_ms;

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

pub(crate) const VERSION_SELECT: &str = "SELECT v.id, v.script_id, s.kind, s.name AS script_name, v.number, v.source, \
     v.language, v.label, v.published_by, v.content_hash, v.model, v.system_prompt, v.temperature, \
     v.config, v.created_at FROM script_versions v JOIN scripts s ON s.id = v.script_id";

impl VersionRow {
    pub fn into_model(self, channels: Vec<String>) -> ScriptVersion {
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

pub(crate) const BENCH_SELECT: &str = "SELECT b.id, b.name, b.description, b.workflow_script_id, b.judge_script_id, \
     w.name AS workflow, j.name AS judge, b.judge_channel, b.score_max, b.pass_threshold, b.created_at, \
     b.updated_at FROM benches b JOIN scripts w ON w.id = b.workflow_script_id \
     JOIN scripts j ON j.id = b.judge_script_id";

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

/// A stored case, whole.
#[derive(sqlx::FromRow)]
pub(crate) struct CaseDbRow {
    pub case_id: String,
    pub name: Option<String>,
    pub inputs: Option<String>,
    pub expected_output: Option<String>,
    pub ground_truth: Option<String>,
    pub tags: String,
    pub input_hash: String,
    pub frozen: bool,
    pub created_at: i64,
}

pub(crate) const CASE_SELECT: &str =
    "SELECT case_id, name, inputs, expected_output, ground_truth, tags, input_hash, frozen, created_at FROM cases";

impl CaseDbRow {
    pub fn into_model(self) -> Case {
        Case {
            id: self.case_id,
            name: self.name,
            inputs: text_json(self.inputs),
            expected_output: text_json(self.expected_output),
            ground_truth: text_json(self.ground_truth),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            input_hash: self.input_hash,
            frozen: self.frozen,
            created_at: fmt_ms(self.created_at),
        }
    }
}
