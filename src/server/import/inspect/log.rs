//! The parts of an Inspect AI log that Assay reads (inspect_ai's `EvalLog`, `EvalSample` and its
//! events), tolerant of the fields each version adds: anything unknown is skipped.

use std::collections::HashMap;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `header.json` of a `.eval`, or the top level of a `.json` log without its samples.
#[derive(Debug, Deserialize)]
pub struct Header {
    pub status: String,
    pub eval: EvalSpec,
    #[serde(default)]
    pub plan: Option<Value>,
    #[serde(default)]
    pub results: Option<EvalResults>,
    #[serde(default)]
    pub stats: Option<EvalStats>,
    #[serde(default)]
    pub error: Option<EvalError>,
}

/// `_journal/start.json`: all a log has while it is being written.
#[derive(Debug, Deserialize)]
pub struct Start {
    pub eval: EvalSpec,
}

#[derive(Debug, Deserialize)]
pub struct EvalSpec {
    #[serde(default)]
    pub eval_id: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    pub task: String,
    #[serde(default)]
    pub task_version: Option<Value>,
    #[serde(default)]
    pub task_description: Option<String>,
    #[serde(default)]
    pub dataset: Option<Dataset>,
    pub model: String,
    #[serde(default)]
    pub model_generate_config: Option<Value>,
    #[serde(default)]
    pub scorers: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Dataset {
    #[serde(default)]
    pub samples: Option<i64>,
    #[serde(default)]
    pub sample_ids: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct EvalResults {
    #[serde(default)]
    pub total_samples: Option<i64>,
    #[serde(default)]
    pub scores: Vec<EvalScore>,
}

#[derive(Debug, Deserialize)]
pub struct EvalScore {
    #[serde(default)]
    pub scorer: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EvalStats {
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EvalError {
    pub message: String,
}

/// One sample: a monolith `samples/{id}_epoch_{n}.json`, the `sample.json` shell of a chunked
/// sample (its events and attachments then come from their own members), or an element of a
/// `.json` log's `samples`.
#[derive(Debug, Deserialize)]
pub struct Sample {
    pub id: Value,
    pub epoch: i64,
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub target: Value,
    #[serde(default)]
    pub choices: Option<Vec<String>>,
    #[serde(default)]
    pub output: Option<Output>,
    #[serde(default)]
    pub scores: Option<Ordered<Score>>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub model_usage: HashMap<String, Usage>,
    #[serde(default)]
    pub total_time: Option<f64>,
    #[serde(default)]
    pub error: Option<EvalError>,
    #[serde(default)]
    pub attachments: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Output {
    #[serde(default)]
    pub completion: Option<String>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    #[serde(default)]
    pub total_tokens: i64,
    #[serde(default)]
    pub input_tokens_cache_write: Option<i64>,
    #[serde(default)]
    pub input_tokens_cache_read: Option<i64>,
    #[serde(default)]
    pub total_cost: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Score {
    #[serde(default)]
    pub value: Value,
    #[serde(default)]
    pub answer: Option<Value>,
    #[serde(default)]
    pub explanation: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// A transcript event; only `model` and `tool` events become trace entries, the rest are read
/// and dropped.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub event: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub output: Option<Output>,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default)]
    pub arguments: Option<Value>,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub working_time: Option<f64>,
}

/// A JSON object kept in its key order (inspect_ai writes scores in scorer order; the first
/// scorer is the headline).
#[derive(Debug)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
