//! promptfoo results exports: the `.json` `OutputFile` (results version 2, 3 and newer) and the
//! `.jsonl` (one result a line). One run per column (`promptIdx`: a prompt × provider pair, so two
//! `echo` providers with different labels are two runs); tests become cases keyed by a hash of
//! their description and vars, and a test seen again in a column is that case's next epoch.

mod types;

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::{json, Value};

use super::emit::{Emitter, Fail, ReadError};
use super::json_stream::{read_doc, stream_array};
use super::progress::Tracked;
use super::slug::{slug, test_case_id};
use super::{ReadOptions, SourceFile};
use crate::domain::{ResultStatus, Verdict};
use crate::server::store::input::{CaseInput, ImportBench, ImportRun, ResultInput, ScorerInput};
use crate::server::store::import_lines::{HeaderScript, RunHeader};
use crate::server::time::{fmt_ms, parse_ms};
use types::{Column, Export, PfResult, Row, SeenColumn, Survey, SurveyItem};

/// `failureReason` of a result that errored (promptfoo's `ResultFailureReason.ERROR`).
const FAILURE_ERROR: i64 = 2;

/// The file-level facts every column's header shares.
struct Common<'a> {
    file: &'a SourceFile,
    bench: String,
    description: Option<String>,
    source_id: String,
    triggered_at: Option<String>,
    completed_at: Option<String>,
    judge_source: String,
}

fn judge_source(survey: &Survey) -> String {
    let kinds: Vec<Value> = survey
        .asserts
        .iter()
        .map(|(t, m)| match m {
            Some(m) => json!({"type": t, "metric": m}),
            None => json!({"type": t}),
        })
        .collect();
    serde_json::to_string_pretty(&json!({"promptfoo_assertions": kinds})).unwrap_or_default()
}

fn header(c: &Common, key: i64, col: &SeenColumn, channel: Option<&str>) -> Result<RunHeader, ReadError> {
    let provider = col.provider_label.clone().or_else(|| col.provider_id.clone());
    let channel = match channel {
        Some(ch) => ch.to_string(),
        None => provider.as_deref().and_then(slug).unwrap_or_else(|| format!("column-{key}")),
    };
    let workflow_source = serde_json::to_string_pretty(&json!({
        "prompt": {"id": col.prompt_id, "label": col.prompt_label},
        "provider": {"id": col.provider_id, "label": col.provider_label},
    }))
    .unwrap_or_default();
    Ok(RunHeader {
        key: u32::try_from(key).map_err(|_| ReadError::at("promptIdx", format!("column {key} is out of range")))?,
        bench: ImportBench { name: c.bench.clone(), description: c.description.clone(), ..Default::default() },
        workflow: HeaderScript {
            source: Some(workflow_source),
            language: Some("json".into()),
            label: Some(format!("{} × {}", col.prompt_label.as_deref().unwrap_or("prompt"), provider.as_deref().unwrap_or("provider"))),
            model: col.provider_id.clone(),
            ..Default::default()
        },
        judge: HeaderScript {
            source: Some(c.judge_source.clone()),
            language: Some("json".into()),
            label: Some("promptfoo assertions".into()),
            ..Default::default()
        },
        run: ImportRun {
            channel: Some(channel),
            status: Some("completed".into()),
            triggered_at: c.triggered_at.clone(),
            completed_at: c.completed_at.clone(),
            notes: col.prompt_label.clone(),
            model: col.provider_id.clone(),
            metadata: Some(json!({
                "source_format": "promptfoo",
                "source_file": c.file.name,
                "source_id": c.source_id,
                "source_column": key,
            })),
            ..Default::default()
        },
        total_cases: None,
    })
}

/// A test's case: id from its description and vars, named by the description (else its vars).
fn case_of(test: types::TestCase, vars: Option<Value>) -> CaseInput {
    let vars = test.vars.or(vars).unwrap_or(json!({}));
    let name = test.description.clone().or_else(|| {
        let parts: Vec<String> = vars
            .as_object()?
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        super::slug::short_name(&parts.join(", "))
    });
    CaseInput {
        id: test_case_id(test.description.as_deref(), &vars),
        name,
        inputs: Some(vars),
        expected_output: None,
        ground_truth: test.asserts.map(|a| json!({"assert": a})),
        tags: Vec::new(),
        frozen: None,
    }
}

/// One result as the column's result for `case_id` at `epoch`.
fn result_of(mut r: PfResult, case_id: String, epoch: i64) -> ResultInput {
    let errored = r.failure_reason == Some(FAILURE_ERROR)
        || (r.failure_reason.is_none() && r.grading.is_none() && r.error.is_some() && r.success != Some(true));
    let cached = r.response.as_ref().and_then(|x| x.cached).unwrap_or(false);
    let status = match (errored, cached) {
        (true, _) => ResultStatus::WorkflowFailed,
        (false, true) => ResultStatus::Cached,
        (false, false) => ResultStatus::Ok,
    };
    let score = r.grading.as_ref().map(|g| json!({"pass": g.pass, "score": g.score, "reason": g.reason}));
    let grading = r.grading.take().unwrap_or_default();
    let output = r.response.as_mut().and_then(|x| x.output.take()).or_else(|| {
        // A v2 cell: `text` is the output, after `reason\n---\n` when the test failed.
        let text = r.text.take()?;
        let prefix = grading.reason.as_deref().map(|reason| format!("{reason}\n---\n"));
        Some(Value::String(match prefix.and_then(|p| text.strip_prefix(&p).map(str::to_string)) {
            Some(rest) => rest,
            None => text,
        }))
    });
    let scorers = grading
        .components
        .into_iter()
        .flatten()
        .map(|c| {
            let a = c.assertion.unwrap_or(Value::Null);
            let kind = a.get("type").and_then(Value::as_str).unwrap_or("assertion").to_string();
            let metric = a.get("metric").and_then(Value::as_str).map(str::to_string);
            ScorerInput {
                scorer_name: metric.clone().unwrap_or(kind),
                score: c.score,
                passed: c.pass,
                reason: c.reason,
                dimension: metric,
                details: Some(json!({"assertion": a})),
            }
        })
        .collect();
    ResultInput {
        case_id,
        epoch: Some(epoch),
        status,
        verdict: match (status, r.success) {
            (ResultStatus::WorkflowFailed, _) => None,
            (_, Some(true)) => Some(Verdict::Pass),
            (_, Some(false)) => Some(Verdict::Fail),
            (_, None) => None,
        },
        headline_score: if errored { None } else { r.score },
        score,
        workflow_output: output.filter(|o| !o.is_null()),
        error: if errored { r.error.take() } else { None },
        duration_ms: r.latency_ms.filter(|l| l.is_finite() && *l >= 0.0).map(|l| l.round() as i64),
        input_tokens: r.token_usage.as_ref().and_then(|t| t.prompt),
        output_tokens: r.token_usage.as_ref().and_then(|t| t.completion),
        tool_tokens: None,
        tokens_used: None,
        workflow_cost_usd: None,
        judge_cost_usd: None,
        cost_usd: r.cost,
        cache_hit: cached,
        input_hash: None,
        workflow_execution_id: None,
        judge_execution_id: None,
        scorer_results: scorers,
        dimension_scores: r.named_scores.unwrap_or_default(),
        trace: None,
    }
}

/// Numbers a case's appearances per column: promptfoo's repeats are new rows of the same test.
#[derive(Default)]
struct Epochs(HashMap<(u32, String), i64>);

impl Epochs {
    fn next(&mut self, key: u32, case: &str) -> i64 {
        let n = self.0.entry((key, case.to_string())).or_insert(0);
        *n += 1;
        *n
    }
}

fn emit_one(emit: &mut Emitter, epochs: &mut Epochs, key: u32, location: String, mut r: PfResult) -> Result<(), Fail> {
    let case = case_of(r.test_case.take().unwrap_or_default(), r.vars.take());
    let epoch = epochs.next(key, &case.id);
    let id = case.id.clone();
    emit.case(key, case)?;
    emit.result(key, location, result_of(r, id, epoch))?;
    Ok(())
}

fn file_bench(opts: &ReadOptions, description: Option<&str>, file: &SourceFile) -> Result<String, ReadError> {
    opts.bench
        .clone()
        .or_else(|| description.and_then(slug))
        .or_else(|| slug(&file.stem()))
        .ok_or_else(|| ReadError::new("no bench name: pass --bench"))
}

/// The `.json` export: surveyed in one pass (results skipped but counted), streamed in a second.
pub fn read_json(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let export: Export = read_doc(file.open()?)?;
    let res = export.results;
    let v2 = res.prompts.is_none() && res.table.is_some();
    let mut survey = res.results;
    let columns: Vec<Column> = match (&res.prompts, &res.table) {
        (Some(p), _) => p.clone(),
        (None, Some(t)) => t.head.prompts.clone(),
        (None, None) => return Err(Fail::Bad(ReadError::at("results", "no prompts and no table: not a promptfoo results export"))),
    };
    if let Some(t) = res.table {
        survey.asserts.extend(t.body.0.asserts);
    }
    let description = export.config.as_ref().and_then(|c| c.description.clone());
    let triggered = res.timestamp.clone().or_else(|| export.metadata.as_ref().and_then(|m| m.evaluation_created_at.clone()));
    let completed = triggered.as_deref().and_then(parse_ms).map(|t| {
        let d = res.stats.as_ref().and_then(|s| s.duration_ms).filter(|d| d.is_finite() && *d >= 0.0).unwrap_or(0.0);
        fmt_ms(t + d as i64)
    });
    let common = Common {
        file,
        bench: file_bench(opts, description.as_deref(), file)?,
        description,
        source_id: match export.eval_id.filter(|s| !s.is_empty()) {
            Some(id) => id,
            None => file.sha256()?,
        },
        triggered_at: triggered,
        completed_at: completed,
        judge_source: judge_source(&survey),
    };
    for (j, c) in columns.iter().enumerate() {
        let seen = survey.columns.get(&(j as i64)).cloned().unwrap_or_default();
        let col = SeenColumn {
            provider_id: seen.provider_id.or_else(|| c.provider.clone()),
            provider_label: seen.provider_label.or_else(|| if v2 { None } else { c.provider.clone() }),
            prompt_label: seen.prompt_label.or_else(|| c.label.clone()),
            prompt_id: seen.prompt_id.or_else(|| c.id.clone()),
        };
        emit.run(header(&common, j as i64, &col, opts.channel.as_deref())?)?;
    }
    let n = columns.len();
    let mut epochs = Epochs::default();
    if v2 {
        stream_array::<Row>(file.open_tracked()?, &["results", "table", "body"], &mut |i, row| {
            for (j, mut cell) in row.outputs.into_iter().enumerate().take(n) {
                cell.test_case = Some(row.test.clone());
                emit_one(emit, &mut epochs, j as u32, format!("results.table.body[{i}].outputs[{j}]"), cell)?;
            }
            Ok(())
        })?;
    } else {
        stream_array::<PfResult>(file.open_tracked()?, &["results", "results"], &mut |i, r| {
            let j = r.prompt_idx.ok_or_else(|| ReadError::at(format!("results.results[{i}]"), "a result without promptIdx"))?;
            if j < 0 || j as usize >= n {
                return Err(Fail::Bad(ReadError::at(format!("results.results[{i}].promptIdx"), format!("column {j} is not among the {n} prompts"))));
            }
            emit_one(emit, &mut epochs, j as u32, format!("results.results[{i}]"), r)
        })?;
    }
    Ok(())
}

fn jsonl_line<T: serde::de::DeserializeOwned>(line: &str, n: usize) -> Result<T, ReadError> {
    let mut de = serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path.is_empty() || path == "." { format!("line {n}") } else { format!("line {n} at {path}") };
        ReadError::at(at, e.into_inner().to_string())
    })
}

/// Each non-blank line of a `.jsonl` with its 1-based number; `results`: the pass that reads the
/// results, whose position is the import's progress.
fn lines(file: &SourceFile, results: bool, each: &mut dyn FnMut(usize, &str) -> Result<(), Fail>) -> Result<(), Fail> {
    let on = if results { file.open_tracked()? } else { Tracked::new(file.open()?, None) };
    let mut reader = std::io::BufReader::with_capacity(1 << 16, on);
    let mut buf = String::new();
    let mut n = 0;
    loop {
        buf.clear();
        let read = reader.read_line(&mut buf).map_err(|e| ReadError::at(format!("line {}", n + 1), e.to_string()))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if !buf.trim().is_empty() {
            each(n, buf.trim_end())?;
        }
    }
}

/// The `.jsonl` export: one pass for its columns and assertion kinds, a second for the results.
pub fn read_jsonl(file: &SourceFile, opts: &ReadOptions, emit: &mut Emitter) -> Result<(), Fail> {
    let mut survey = Survey::default();
    lines(file, false, &mut |n, line| {
        let item: SurveyItem = jsonl_line(line, n)?;
        survey.add(item);
        Ok(())
    })?;
    let common = Common {
        file,
        bench: file_bench(opts, None, file)?,
        description: None,
        source_id: file.sha256()?,
        triggered_at: None,
        completed_at: None,
        judge_source: judge_source(&survey),
    };
    for (j, col) in &survey.columns {
        emit.run(header(&common, *j, col, opts.channel.as_deref())?)?;
    }
    let mut epochs = Epochs::default();
    lines(file, true, &mut |n, line| {
        let r: PfResult = jsonl_line(line, n)?;
        let j = r.prompt_idx.ok_or_else(|| ReadError::at(format!("line {n}"), "a result without promptIdx"))?;
        emit_one(emit, &mut epochs, j as u32, format!("line {n}"), r)
    })
}
