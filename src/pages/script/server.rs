//! What the script version page reads: the version with its versions, channels and runs, and
//! a diff against another version (the source line by line, the settings side by side).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::format;
use crate::domain::line_diff::LineDiff;
use crate::model::app_error::AppError;
use crate::model::{ScriptVersion, ScriptVersionPage};

/// One setting that differs between two versions (the fields besides the source that make a
/// new version), as display text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What the diff part of the page shows for `?diff=…`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum VersionDiff {
    /// `?diff=` is not a version number.
    NotANumber(String),
    /// `?diff=` names the version the page shows.
    SameVersion,
    /// The script has no version of that number.
    NoSuchVersion(i64),
    /// From version `against` (the old side) to the page's version (the new side).
    Diff { against: i64, against_label: Option<String>, source: LineDiff, settings: Vec<SettingChange> },
}


#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_script_version(kind: String, name: String, number: i64) -> Result<ScriptVersionPage, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    store
        .version_page(&kind, &name, number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no {kind} '{name}' v{number}")))
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_version_diff(kind: String, name: String, number: i64, against: i64) -> Result<VersionDiff, AppError> {
    let store = expect_context::<crate::server::store::Store>();
    let new = store.get_version(&kind, &name, number).await?;
    let old = match store.get_version(&kind, &name, against).await.map_err(AppError::from) {
        Err(AppError::NotFound(_)) => return Ok(VersionDiff::NoSuchVersion(against)),
        r => r?,
    };
    let settings = setting_changes(&old, &new);
    let against_label = old.label.clone();
    // A diff is CPU work (bounded by a deadline): keep it off the async workers.
    let source = tokio::task::spawn_blocking(move || {
        crate::domain::line_diff::unified(
            old.source.as_deref().unwrap_or(""),
            new.source.as_deref().unwrap_or(""),
            crate::domain::line_diff::CONTEXT,
        )
    })
    .await
    .map_err(AppError::internal)?;
    Ok(VersionDiff::Diff { against, against_label, source, settings })
}

pub fn show_temperature(t: Option<f64>) -> Option<String> {
    t.map(|t| format!("{t}"))
}

/// The settings that differ from `old` to `new`, in a fixed order.
pub fn setting_changes(old: &ScriptVersion, new: &ScriptVersion) -> Vec<SettingChange> {
    let config = |c: &Option<serde_json::Value>| c.as_ref().map(format::json_text);
    let pairs = [
        ("language", old.language.clone(), new.language.clone()),
        ("model", old.model.clone(), new.model.clone()),
        ("temperature", show_temperature(old.temperature), show_temperature(new.temperature)),
        ("system prompt", old.system_prompt.clone(), new.system_prompt.clone()),
        ("config", config(&old.config), config(&new.config)),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, old, new)| SettingChange { field: field.to_string(), old, new })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(source: &str) -> ScriptVersion {
        ScriptVersion {
            id: 1,
            script_id: 1,
            kind: "workflow".into(),
            script_name: "bot".into(),
            number: 1,
            source: Some(source.into()),
            language: Some("python".into()),
            label: None,
            published_by: None,
            content_hash: "h".into(),
            model: Some("m-1".into()),
            system_prompt: None,
            temperature: Some(0.3),
            config: Some(serde_json::json!({"a": 1})),
            created_at: "2026-11-22T10:00:00.000Z".into(),
            channels: vec![],
        }
    }

    #[test]
    fn settings_that_differ_are_listed_in_order() {
        let a = version("x");
        let mut b = version("y");
        assert!(setting_changes(&a, &b).is_empty(), "the source is not a setting");
        b.model = Some("m-2".into());
        b.temperature = None;
        b.config = Some(serde_json::json!({"a": 2}));
        let c = setting_changes(&a, &b);
        assert_eq!(c.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["model", "temperature", "config"]);
        assert_eq!(c[1], SettingChange { field: "temperature".into(), old: Some("0.3".into()), new: None });
        assert_eq!(c[2].new.as_deref(), Some("{\n  \"a\": 2\n}"));
    }
}
