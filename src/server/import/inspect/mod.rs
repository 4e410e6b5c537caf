//! Inspect AI logs: the `.eval` zip (monolith and chunked samples) and the older `.json` EvalLog,
//! mapped to one run — the log's header to a run header, each sample to a case and a result.

mod eval_zip;
mod json_log;
pub mod log;

use serde_json::{json, Map, Value};

use super::emit::ReadError;
use super::slug::{short_name, slug};
use super::SourceFile;
use crate::domain::{ResultStatus, Verdict};
use crate::server::store::input::{
    CaseInput, ImportBench, ImportRun, ResultInput, ScorerInput, StepInput, TextOrJson, ToolCallInput, TraceInput,
};
use crate::server::store::import_lines::{HeaderScript, RunHeader};
use log::{Header, Sample, Score};

pub use eval_zip::read_eval;
pub use json_log::read_json;

const ATTACHMENT: &str = "attachment://";

/// The texts a log stores apart (`attachment://…` references): by content hash in monolith
/// samples, by position in chunked ones.
pub enum Attachments {
    ByHash(std::collections::HashMap<String, String>),
    ByIndex(Vec<String>),
}

impl Attachments {
    /// A text with its attachment reference resolved (unknown references stay as they are).
    fn text(&self, s: &str) -> String {
        let Some(key) = s.strip_prefix(ATTACHMENT) else { return s.to_string() };
        let found = match self {
            Attachments::ByHash(m) => m.get(key),
            Attachments::ByIndex(v) => key.parse::<usize>().ok().and_then(|i| v.get(i)),
        };
        found.cloned().unwrap_or_else(|| s.to_string())
    }

    /// A JSON value with every attachment reference inside it resolved.
    fn value(&self, v: Value) -> Value {
        match v {
            Value::String(s) if s.starts_with(ATTACHMENT) => Value::String(self.text(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.value(x)).collect()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, self.value(x))).collect()),
            other => other,
        }
    }
}

/// What one log maps to before its samples: the run header and the scorer order.
pub struct Plan {
    pub header: RunHeader,
    /// Scorer names in the log's order; the first is the headline.
    pub scorers: Vec<String>,
}

/// inspect_ai's statuses: success, cancelled, error — and `started` for a log still being written.
fn run_status(status: &str) -> Result<&'static str, ReadError> {
    match status {
        "success" => Ok("completed"),
        "cancelled" => Ok("canceled"),
        "error" => Ok("failed"),
        "started" => Err(ReadError::new("the log is still being written (status 'started'): import it once the eval has finished")),
        other => Err(ReadError::at("status", format!("unknown log status '{other}'"))),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The solver plan without `params_passed` (which only repeats what was given explicitly).
fn plan_steps(plan: &Option<Value>) -> Value {
    let mut plan = plan.clone().unwrap_or(Value::Null);
    if let Some(steps) = plan.get_mut("steps").and_then(Value::as_array_mut) {
        for s in steps {
            if let Some(o) = s.as_object_mut() {
                o.remove("params_passed");
            }
        }
    }
    plan
}

pub fn plan(h: &Header, file: &SourceFile, bench: Option<&str>, channel: Option<&str>) -> Result<Plan, ReadError> {
    let status = run_status(&h.status)?;
    let e = &h.eval;
    let bench = match bench {
        Some(b) => b.to_string(),
        None => slug(&e.task).ok_or_else(|| ReadError::at("eval.task", "the task has no name to make a bench of"))?,
    };
    let channel = match channel {
        Some(c) => c.to_string(),
        None => slug(&e.model).unwrap_or_else(|| "imported".into()),
    };
    let task_version = e.task_version.clone().unwrap_or(json!(0));
    // Content-addressed versions: the same setup gives the same source text, so the same version.
    let workflow_source = pretty(&json!({
        "task": e.task,
        "task_version": task_version,
        "plan": plan_steps(&h.plan),
        "model": e.model,
    }));
    let scorers: Vec<String> = match &e.scorers {
        Some(list) => list.iter().filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string)).collect(),
        None => h
            .results
            .iter()
            .flat_map(|r| &r.scores)
            .filter_map(|s| s.scorer.clone().or_else(|| s.name.clone()))
            .collect(),
    };
    let judge_source = pretty(&match &e.scorers {
        Some(list) => Value::Array(list.clone()),
        None => json!(scorers),
    });
    let source_id = match e.eval_id.clone().filter(|s| !s.is_empty()).or_else(|| e.run_id.clone().filter(|s| !s.is_empty())) {
        Some(id) => id,
        None => file.sha256()?,
    };
    let total = e
        .dataset
        .as_ref()
        .and_then(|d| d.sample_ids.as_ref().map(|ids| ids.len() as i64).or(d.samples))
        .or_else(|| h.results.as_ref().and_then(|r| r.total_samples));
    let header = RunHeader {
        key: 0,
        bench: ImportBench { name: bench, description: e.task_description.clone(), ..Default::default() },
        workflow: HeaderScript {
            source: Some(workflow_source),
            language: Some("json".into()),
            label: Some(format!("{} (task version {})", e.task, task_version)),
            model: Some(e.model.clone()),
            config: e.model_generate_config.clone().filter(|c| c.as_object().is_some_and(|o| !o.is_empty())),
            ..Default::default()
        },
        judge: HeaderScript {
            source: Some(judge_source),
            language: Some("json".into()),
            label: Some("Inspect AI scorers".into()),
            ..Default::default()
        },
        run: ImportRun {
            channel: Some(channel),
            status: Some(status.into()),
            triggered_at: e.created.clone().or_else(|| h.stats.as_ref().and_then(|s| s.started_at.clone())),
            completed_at: h.stats.as_ref().and_then(|s| s.completed_at.clone()),
            model: Some(e.model.clone()),
            error: h.error.as_ref().map(|x| x.message.clone()),
            metadata: Some(json!({
                "source_format": "inspect",
                "source_file": file.name,
                "source_id": source_id,
            })),
            ..Default::default()
        },
        total_cases: total,
    };
    Ok(Plan { header, scorers })
}

/// A score value as a number: inspect_ai's `C`/`P`/`I`/`N` letters, yes/no, booleans, numbers and
/// numeric strings; a dictionary's mean.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => match s.as_str() {
            "C" => Some(1.0),
            "P" => Some(0.5),
            "I" | "N" => Some(0.0),
            _ => match s.to_ascii_lowercase().as_str() {
                "yes" | "true" => Some(1.0),
                "no" | "false" => Some(0.0),
                other => other.parse::<f64>().ok().filter(|x| x.is_finite()),
            },
        },
        Value::Object(m) => {
            let xs: Vec<f64> = m.values().filter_map(as_number).collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        }
        _ => None,
    }
}

/// The pass/fail a score decides itself (correct/incorrect, booleans); None leaves it to the
/// run's threshold.
fn decided(v: &Value) -> Option<bool> {
    match v {
        Value::String(s) if s == "C" => Some(true),
        Value::String(s) if s == "I" => Some(false),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn case_id(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The text of a message's content: a string, or the text parts of a content list.
fn content_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A case name from a sample's input: its text, or the last user message of a conversation.
fn input_name(input: &Value) -> Option<String> {
    let text = match input {
        Value::String(s) => s.clone(),
        Value::Array(msgs) => msgs
            .iter()
            .rev()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .and_then(|m| m.get("content"))
            .map(content_text)
            .unwrap_or_default(),
        _ => String::new(),
    };
    short_name(&text)
}

fn ms(seconds: Option<f64>) -> Option<i64> {
    seconds.filter(|s| s.is_finite() && *s >= 0.0).map(|s| (s * 1000.0).round() as i64)
}

fn scorer(name: &str, s: &Score, att: &Attachments) -> ScorerInput {
    let mut details = Map::new();
    if let Some(a) = &s.answer {
        details.insert("answer".into(), att.value(a.clone()));
    }
    details.insert("value".into(), s.value.clone());
    if let Some(m) = s.metadata.as_ref().filter(|m| !m.is_null()) {
        details.insert("metadata".into(), m.clone());
    }
    ScorerInput {
        scorer_name: name.to_string(),
        score: as_number(&s.value),
        passed: decided(&s.value),
        reason: s.explanation.as_deref().map(|e| att.text(e)),
        dimension: None,
        details: Some(Value::Object(details)),
    }
}

/// Model events become steps (their output), tool events tool calls of the step that asked.
fn trace(sample: &mut Sample, att: &Attachments) -> Option<TraceInput> {
    let mut steps = Vec::new();
    let mut calls = Vec::new();
    for e in std::mem::take(&mut sample.events) {
        match e.event.as_str() {
            "model" => {
                let out = e.output.unwrap_or_default();
                let text = out.completion.filter(|c| !c.is_empty()).or(out.error).map(|t| att.text(&t));
                steps.push(StepInput {
                    index: Some(steps.len() as i64),
                    step_type: Some("model".into()),
                    name: e.model,
                    output: text.map(TextOrJson::Text),
                    tokens_used: out.usage.map(|u| u.total_tokens),
                    duration_ms: ms(e.working_time),
                });
            }
            "tool" => {
                let result = e.result.map(|r| match r {
                    Value::String(s) => att.text(&s),
                    Value::Array(_) => content_text(&att.value(r)),
                    other => other.to_string(),
                });
                let error = e.error.and_then(|x| match x {
                    Value::String(s) => Some(s),
                    Value::Object(o) => o.get("message").and_then(Value::as_str).map(str::to_string),
                    Value::Null => None,
                    other => Some(other.to_string()),
                });
                calls.push(ToolCallInput {
                    step_index: (!steps.is_empty()).then(|| steps.len() as i64 - 1),
                    tool_name: e.function.unwrap_or_else(|| "tool".into()),
                    arguments: e.arguments.map(|a| TextOrJson::Text(att.value(a).to_string())),
                    result: result.map(TextOrJson::Text),
                    error,
                    duration_ms: ms(e.working_time),
                });
            }
            _ => {}
        }
    }
    (!steps.is_empty() || !calls.is_empty()).then_some(TraceInput { steps, tool_calls: calls })
}

/// One sample as its case and its result.
pub fn sample(mut s: Sample, scorers: &[String], att: &Attachments) -> (CaseInput, ResultInput) {
    let id = case_id(&s.id);
    let input = att.value(std::mem::take(&mut s.input));
    let case = CaseInput {
        id: id.clone(),
        name: input_name(&input),
        inputs: Some(match s.choices.take() {
            Some(choices) => json!({"input": input, "choices": choices}),
            None => input,
        }),
        expected_output: Some(att.value(std::mem::take(&mut s.target))).filter(|t| !t.is_null() && t != ""),
        ground_truth: None,
        tags: Vec::new(),
        frozen: None,
    };
    let scores = s.scores.take().map(|o| o.0).unwrap_or_default();
    // The headline is the log's first scorer (the order of the header), else the first listed.
    let first = scorers
        .iter()
        .find_map(|n| scores.iter().find(|(k, _)| k == n))
        .or_else(|| scores.first());
    let headline = first.and_then(|(_, sc)| as_number(&sc.value));
    let source_verdict = first.and_then(|(_, sc)| decided(&sc.value));
    let mut dimensions = std::collections::BTreeMap::new();
    for (_, sc) in &scores {
        if let Value::Object(m) = &sc.value {
            for (k, v) in m {
                if let Some(x) = as_number(v) {
                    dimensions.insert(k.clone(), x);
                }
            }
        }
    }
    let usage = s.model_usage.values().fold(None::<(i64, i64, Option<f64>)>, |acc, u| {
        let (i, o, c) = acc.unwrap_or((0, 0, None));
        let input = u.input_tokens + u.input_tokens_cache_read.unwrap_or(0) + u.input_tokens_cache_write.unwrap_or(0);
        let cost = match (c, u.total_cost) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        Some((i + input, o + u.output_tokens, cost))
    });
    let error = s.error.take().map(|e| e.message);
    let status = if error.is_some() { ResultStatus::WorkflowFailed } else { ResultStatus::Ok };
    let output = s.output.take().and_then(|o| o.completion).filter(|c| !c.is_empty()).map(|c| Value::String(att.text(&c)));
    let trace = trace(&mut s, att);
    let result = ResultInput {
        case_id: id,
        epoch: Some(s.epoch),
        status,
        verdict: match (status, source_verdict) {
            (ResultStatus::Ok, Some(true)) => Some(Verdict::Pass),
            (ResultStatus::Ok, Some(false)) => Some(Verdict::Fail),
            _ => None,
        },
        headline_score: if status == ResultStatus::Ok { headline } else { None },
        score: (!scores.is_empty())
            .then(|| Value::Object(scores.iter().map(|(k, sc)| (k.clone(), sc.value.clone())).collect())),
        workflow_output: output,
        error,
        duration_ms: ms(s.total_time),
        input_tokens: usage.map(|u| u.0),
        output_tokens: usage.map(|u| u.1),
        tool_tokens: None,
        tokens_used: None,
        workflow_cost_usd: usage.and_then(|u| u.2),
        judge_cost_usd: None,
        cost_usd: None,
        cache_hit: false,
        input_hash: None,
        workflow_execution_id: None,
        judge_execution_id: None,
        scorer_results: scores.iter().map(|(k, sc)| scorer(k, sc, att)).collect(),
        dimension_scores: dimensions,
        trace,
    };
    (case, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_values_as_numbers_and_verdicts() {
        for (v, n, d) in [
            (json!("C"), Some(1.0), Some(true)),
            (json!("I"), Some(0.0), Some(false)),
            (json!("P"), Some(0.5), None),
            (json!("N"), Some(0.0), None),
            (json!(true), Some(1.0), Some(true)),
            (json!(false), Some(0.0), Some(false)),
            (json!(0.25), Some(0.25), None),
            (json!("0.75"), Some(0.75), None),
            (json!("yes"), Some(1.0), None),
            (json!({"a": 1.0, "b": 0.5}), Some(0.75), None),
            (json!("maybe"), None, None),
            (json!(null), None, None),
        ] {
            assert_eq!(as_number(&v), n, "{v}");
            assert_eq!(decided(&v), d, "{v}");
        }
    }

    #[test]
    fn attachments_resolve_by_hash_and_by_index() {
        let by_hash = Attachments::ByHash([("abc".to_string(), "long text".to_string())].into());
        assert_eq!(by_hash.text("attachment://abc"), "long text");
        assert_eq!(by_hash.text("attachment://zzz"), "attachment://zzz", "unknown references stay");
        assert_eq!(by_hash.text("plain"), "plain");
        let by_index = Attachments::ByIndex(vec!["zero".into(), "one".into()]);
        assert_eq!(by_index.value(json!([{"content": "attachment://1"}])), json!([{"content": "one"}]));
    }

    #[test]
    fn names_come_from_the_last_user_message() {
        let convo = json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "What is 5+5?"}]}]);
        assert_eq!(input_name(&convo).as_deref(), Some("What is 5+5?"));
        assert_eq!(input_name(&json!("Hi\nthere")).as_deref(), Some("Hi"));
        assert_eq!(case_id(&json!(3)), "3");
        assert_eq!(case_id(&json!("geo/paris")), "geo/paris");
    }

    #[test]
    fn statuses_map_and_a_running_log_is_refused() {
        assert_eq!(run_status("success").unwrap(), "completed");
        assert_eq!(run_status("cancelled").unwrap(), "canceled");
        assert_eq!(run_status("error").unwrap(), "failed");
        assert!(run_status("started").unwrap_err().message.contains("still being written"));
    }
}
