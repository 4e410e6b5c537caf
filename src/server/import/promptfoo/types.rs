//! The parts of a promptfoo results export that Assay reads: the `OutputFile` around the results
//! (`evalId`, `config`, `metadata`), its columns (`results.prompts`, or `results.table.head` in a
//! version 2 export), and one result (`EvaluateResult`, or a version 2 table cell).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// A `.json` export read in one pass that skips every result's body but surveys them: their
/// columns and the assertion kinds the tests use.
#[derive(Debug, Deserialize)]
pub struct Export {
    #[serde(rename = "evalId", default)]
    pub eval_id: Option<String>,
    pub results: ExportResults,
    #[serde(default)]
    pub config: Option<Config>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
pub struct ExportResults {
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Version 3 and newer: one entry per column, in `promptIdx` order.
    #[serde(default)]
    pub prompts: Option<Vec<Column>>,
    #[serde(default)]
    pub results: Survey,
    /// Version 2: columns in `table.head.prompts`, results in `table.body[row].outputs[column]`.
    #[serde(default)]
    pub table: Option<Table>,
    #[serde(default)]
    pub stats: Option<Stats>,
}

#[derive(Debug, Deserialize)]
pub struct Table {
    pub head: Head,
    #[serde(default)]
    pub body: RowSurvey,
}

#[derive(Debug, Deserialize)]
pub struct Head {
    pub prompts: Vec<Column>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Stats {
    #[serde(rename = "durationMs", default)]
    pub duration_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(rename = "evaluationCreatedAt", default)]
    pub evaluation_created_at: Option<String>,
}

/// A column: a prompt × provider pair.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Column {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    /// The provider's label, else its id.
    #[serde(default)]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Provider {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Prompt {
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TestCase {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub vars: Option<Value>,
    #[serde(default, rename = "assert")]
    pub asserts: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenUsage {
    #[serde(default)]
    pub prompt: Option<i64>,
    #[serde(default)]
    pub completion: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub cached: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Grading {
    #[serde(default)]
    pub pass: Option<bool>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(rename = "componentResults", default)]
    pub components: Option<Vec<Component>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Component {
    #[serde(default)]
    pub pass: Option<bool>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub assertion: Option<Value>,
}

/// One result: an `EvaluateResult` (a v3 export's `results.results[i]`, a `.jsonl` line), or a
/// version 2 table cell, whose output is in `text` and whose column is its place in the row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PfResult {
    #[serde(rename = "promptIdx", default)]
    pub prompt_idx: Option<i64>,
    #[serde(default)]
    pub vars: Option<Value>,
    #[serde(rename = "testCase", default)]
    pub test_case: Option<TestCase>,
    #[serde(default)]
    pub response: Option<Response>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(rename = "failureReason", default)]
    pub failure_reason: Option<i64>,
    /// `success` in a result, `pass` in a v2 table cell.
    #[serde(default, alias = "pass")]
    pub success: Option<bool>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(rename = "latencyMs", default)]
    pub latency_ms: Option<f64>,
    #[serde(rename = "gradingResult", default)]
    pub grading: Option<Grading>,
    #[serde(rename = "namedScores", default)]
    pub named_scores: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    pub cost: Option<f64>,
    #[serde(rename = "tokenUsage", default)]
    pub token_usage: Option<TokenUsage>,
    /// A v2 cell's output text (`reason\n---\noutput` when it failed).
    #[serde(default)]
    pub text: Option<String>,
}

/// A result's provider: `{id, label}` in results, the label-or-id string in a v2 cell.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ProviderRef {
    Full(Provider),
    Name(String),
}

/// A result's prompt: `{raw, label}` in results, the rendered text (unused) in a v2 cell.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PromptRef {
    Full(Prompt),
    Other(serde::de::IgnoredAny),
}

/// A version 2 table row: the test and one cell per column.
#[derive(Debug, Deserialize)]
pub struct Row {
    #[serde(default)]
    pub test: TestCase,
    #[serde(default)]
    pub outputs: Vec<PfResult>,
}

/// What a first pass learns of the results: each column's provider and prompt (the `.jsonl` has
/// no column list) and the distinct assertion kinds (the judge's definition).
#[derive(Debug, Default)]
pub struct Survey {
    pub columns: BTreeMap<i64, SeenColumn>,
    pub asserts: BTreeSet<(String, Option<String>)>,
    pub count: usize,
}

#[derive(Debug, Default, Clone)]
pub struct SeenColumn {
    pub provider_id: Option<String>,
    pub provider_label: Option<String>,
    pub prompt_label: Option<String>,
    pub prompt_id: Option<String>,
}

/// The few fields the survey reads of each result.
#[derive(Debug, Deserialize)]
pub struct SurveyItem {
    #[serde(rename = "promptIdx", default)]
    prompt_idx: Option<i64>,
    #[serde(rename = "promptId", default)]
    prompt_id: Option<String>,
    #[serde(default)]
    provider: Option<ProviderRef>,
    #[serde(default)]
    prompt: Option<PromptRef>,
    #[serde(rename = "testCase", default)]
    test_case: Option<TestCase>,
}

impl Survey {
    pub fn add_asserts(&mut self, asserts: &Option<Vec<Value>>) {
        for a in asserts.iter().flatten() {
            let kind = a.get("type").and_then(Value::as_str).unwrap_or("assertion").to_string();
            let metric = a.get("metric").and_then(Value::as_str).map(str::to_string);
            self.asserts.insert((kind, metric));
        }
    }

    pub fn add(&mut self, item: SurveyItem) {
        self.count += 1;
        self.add_asserts(&item.test_case.and_then(|t| t.asserts));
        let Some(idx) = item.prompt_idx else { return };
        let col = self.columns.entry(idx).or_default();
        if col.provider_id.is_none() {
            match item.provider {
                Some(ProviderRef::Full(p)) => {
                    col.provider_id = p.id;
                    col.provider_label = p.label;
                }
                Some(ProviderRef::Name(n)) => col.provider_id = Some(n),
                None => {}
            }
            if let Some(PromptRef::Full(p)) = item.prompt {
                col.prompt_label = p.label;
            }
            col.prompt_id = item.prompt_id;
        }
    }
}

impl<'de> Deserialize<'de> for Survey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Survey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of results")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Survey, A::Error> {
                let mut s = Survey::default();
                while let Some(item) = seq.next_element::<SurveyItem>()? {
                    s.add(item);
                }
                Ok(s)
            }
        }
        d.deserialize_seq(V)
    }
}

/// The survey of a v2 table's rows: only their tests' assertion kinds.
#[derive(Debug, Default)]
pub struct RowSurvey(pub Survey);

#[derive(Deserialize)]
struct RowTest {
    #[serde(default)]
    test: TestCase,
}

impl<'de> Deserialize<'de> for RowSurvey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RowSurvey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of table rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowSurvey, A::Error> {
                let mut s = Survey::default();
                while let Some(row) = seq.next_element::<RowTest>()? {
                    s.count += 1;
                    s.add_asserts(&row.test.asserts);
                }
                Ok(RowSurvey(s))
            }
        }
        d.deserialize_seq(V)
    }
}
