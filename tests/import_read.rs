//! The import readers against files written by the real tools (tests/fixtures/import, made by
//! scripts/make-import-fixtures.sh): every mapping of issue 10 checked field by field against the
//! source read independently as plain JSON. No database here; tests/import.rs writes them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use assay::server::import::detect::Format;
use assay::server::import::emit::{Fail, Stopped};
use assay::server::import::{read_file, ReadOptions, SourceFile};
use assay::server::store::input::{CaseInput, ResultInput};
use assay::server::store::import_lines::{ImportLine, RunHeader};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

/// Everything a reader emitted for one file.
#[derive(Default)]
struct Read_ {
    runs: Vec<RunHeader>,
    cases: Vec<CaseInput>,
    results: BTreeMap<u32, Vec<(String, ResultInput)>>,
    ended: bool,
    lines: usize,
}

impl Read_ {
    fn run(&self, key: u32) -> &RunHeader {
        self.runs.iter().find(|r| r.key == key).expect("run")
    }

    fn case(&self, id: &str) -> &CaseInput {
        self.cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"))
    }

    fn result(&self, key: u32, case: &str, epoch: i64) -> &ResultInput {
        &self.results[&key].iter().find(|(_, r)| r.case_id == case && r.epoch == Some(epoch)).unwrap_or_else(|| panic!("no result {case}/{epoch}")).1
    }
}

fn read_with(path: &Path, opts: &ReadOptions) -> Result<(Format, Read_), (Option<Format>, Fail, Read_)> {
    let file = SourceFile::new(path);
    let mut out = Read_::default();
    let res = {
        let mut sink = |line: ImportLine, locs: Vec<String>| -> Result<(), Stopped> {
            out.lines += 1;
            match line {
                ImportLine::Run(h) => out.runs.push(h),
                ImportLine::Cases { cases, .. } => out.cases.extend(cases),
                ImportLine::Results { run, results } => {
                    assert_eq!(locs.len(), results.len(), "a location for every result");
                    out.results.entry(run).or_default().extend(locs.into_iter().zip(results));
                }
                ImportLine::End => out.ended = true,
            }
            Ok(())
        };
        read_file(&file, opts, &mut sink)
    };
    match res {
        Ok((f, _)) => Ok((f, out)),
        Err((f, fail)) => Err((f, fail, out)),
    }
}

fn read(name: &str) -> (Format, Read_) {
    read_with(&fixture(name), &ReadOptions::default()).unwrap_or_else(|(_, f, _)| panic!("{name}: {f:?}"))
}

fn refused(path: &Path) -> (Option<Format>, String, Read_) {
    match read_with(path, &ReadOptions::default()) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err((f, Fail::Bad(e), out)) => (f, e.to_string(), out),
        Err((_, Fail::Stopped, _)) => panic!("stopped"),
    }
}

/// A member of a `.eval` zip as plain JSON — the oracle the mappings are checked against.
fn member(path: &Path, name: &str) -> Value {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn meta(h: &RunHeader) -> &Value {
    h.run.metadata.as_ref().expect("metadata")
}

fn ms(seconds: &Value) -> i64 {
    (seconds.as_f64().unwrap() * 1000.0).round() as i64
}

#[test]
fn inspect_eval_header_maps_to_one_run() {
    let (format, r) = read("arith.eval");
    assert_eq!(format, Format::InspectEval);
    assert!(r.ended);
    let header = member(&fixture("arith.eval"), "header.json");
    assert_eq!(r.runs.len(), 1);
    let h = r.run(0);
    assert_eq!(h.bench.name, "inspect_evals-arith_0_shot", "the task name as a slug");
    assert_eq!(h.run.channel.as_deref(), Some("mockllm-model"));
    assert_eq!(h.run.status.as_deref(), Some("completed"));
    assert_eq!(h.run.model.as_deref(), Some("mockllm/model"));
    assert_eq!(h.run.triggered_at.as_ref(), header["eval"]["created"].as_str().map(str::to_string).as_ref());
    assert_eq!(h.run.completed_at.as_ref(), header["stats"]["completed_at"].as_str().map(str::to_string).as_ref());
    assert_eq!(h.total_cases, Some(5));
    assert_eq!(meta(h)["source_format"], "inspect");
    assert_eq!(meta(h)["source_file"], "arith.eval");
    assert_eq!(meta(h)["source_id"], header["eval"]["eval_id"]);
    let wf = h.workflow.source.as_deref().unwrap();
    for part in ["\"inspect_evals/arith_0_shot\"", "\"task_version\": 2", "\"explode_on\"", "\"generate\"", "\"mockllm/model\""] {
        assert!(wf.contains(part), "workflow source has {part}: {wf}");
    }
    assert!(!wf.contains("params_passed") && !wf.contains(header["eval"]["eval_id"].as_str().unwrap()), "only the setup: {wf}");
    assert_eq!(h.workflow.model.as_deref(), Some("mockllm/model"));
    let judge = h.judge.source.as_deref().unwrap();
    for s in ["\"match\"", "\"style\"", "\"partial\""] {
        assert!(judge.contains(s), "judge source names scorer {s}");
    }
}

#[test]
fn inspect_samples_map_to_cases_and_results_field_by_field() {
    let path = fixture("arith.eval");
    let (_, r) = read("arith.eval");
    assert_eq!(r.cases.len(), 5, "a case per sample, sent once for both epochs");
    assert_eq!(r.results[&0].len(), 10, "5 samples × 2 epochs");
    for (id, name) in [("1", "What is 2+2?"), ("q-two", "What is 3*3?"), ("3", "What is 5+5?")] {
        assert_eq!(r.case(id).name.as_deref(), Some(name));
    }
    assert_eq!(r.case("1").inputs, Some(json!("What is 2+2?")));
    assert_eq!(r.case("1").expected_output, Some(json!("4")));
    assert_eq!(r.case("3").inputs.as_ref().unwrap()[1]["content"], "What is 5+5?", "a conversation input is kept whole");
    let paris = r.case("geo/paris").inputs.as_ref().unwrap().as_str().unwrap();
    assert!(paris.starts_with("What is the capital of France?") && paris.len() > 100, "{paris}");

    for (file_id, id) in [("1", "1"), ("q-two", "q-two"), ("3", "3"), ("geo/paris", "geo/paris"), ("5", "5")] {
        for epoch in [1, 2] {
            let raw = member(&path, &format!("samples/{file_id}_epoch_{epoch}.json"));
            let res = r.result(0, id, epoch);
            assert_eq!(res.epoch, Some(epoch));
            assert_eq!(res.duration_ms, Some(ms(&raw["total_time"])), "{id}: duration from total_time");
            if raw["error"].is_object() {
                assert_eq!(res.status.as_str(), "workflow_failed");
                assert_eq!(res.error.as_ref(), raw["error"]["message"].as_str().map(str::to_string).as_ref());
                assert!(res.error.as_deref().unwrap().contains("the solver refuses: explode"));
                assert_eq!(res.headline_score, None);
                continue;
            }
            assert_eq!(res.status.as_str(), "ok");
            let usage = &raw["model_usage"]["mockllm/model"];
            assert_eq!(res.input_tokens, usage["input_tokens"].as_i64(), "{id}");
            assert_eq!(res.output_tokens, usage["output_tokens"].as_i64(), "{id}");
            assert_eq!(res.workflow_cost_usd, usage["total_cost"].as_f64(), "{id}");
            assert_eq!(res.workflow_output.as_ref().and_then(Value::as_str), raw["output"]["completion"].as_str());
            // scorer results: one per score, in order, explanation as reason, answer in details
            let names: Vec<&str> = res.scorer_results.iter().map(|s| s.scorer_name.as_str()).collect();
            assert_eq!(names, ["match", "style", "partial"]);
            for s in &res.scorer_results {
                let score = &raw["scores"][&s.scorer_name];
                assert_eq!(s.reason.as_ref(), score["explanation"].as_str().map(str::to_string).as_ref());
                assert_eq!(s.details.as_ref().unwrap()["answer"], score["answer"]);
                assert_eq!(s.details.as_ref().unwrap()["value"], score["value"]);
            }
            let letter = raw["scores"]["match"]["value"].as_str().unwrap();
            let (headline, verdict) = match letter {
                "C" => (1.0, "pass"),
                "I" => (0.0, "fail"),
                other => panic!("{other}"),
            };
            assert_eq!(res.headline_score, Some(headline), "{id}: the first scorer's value");
            assert_eq!(res.verdict.map(|v| v.as_str()), Some(verdict), "{id}: C/I decide the verdict");
            assert_eq!(res.scorer_results[0].passed, Some(letter == "C"));
            let style = &raw["scores"]["style"]["value"];
            assert_eq!(res.dimension_scores.get("accuracy").copied(), style["accuracy"].as_f64(), "dictionary scores are dimensions");
            assert_eq!(res.dimension_scores.get("brevity").copied(), style["brevity"].as_f64());
            let partial = raw["scores"]["partial"]["value"].as_str().unwrap();
            let want = match partial {
                "C" => 1.0,
                "P" => 0.5,
                _ => 0.0,
            };
            assert_eq!(res.scorer_results[2].score, Some(want), "{partial}");
            assert_eq!(res.scorer_results[2].passed, if partial == "P" { None } else { Some(partial == "C") });
            // trace: the model event as a step with its output
            let trace = res.trace.as_ref().expect("trace");
            assert_eq!(trace.steps.len(), 1);
            let step = &trace.steps[0];
            assert_eq!(step.step_type.as_deref(), Some("model"));
            assert_eq!(step.name.as_deref(), Some("mockllm/model"));
            assert_eq!(step.tokens_used, usage["total_tokens"].as_i64());
            let out = match &step.output {
                Some(assay::server::store::input::TextOrJson::Text(t)) => t.clone(),
                other => panic!("{other:?}"),
            };
            assert_eq!(Some(out.as_str()), raw["output"]["completion"].as_str(), "attachments resolved");
        }
    }
    let paris = r.result(0, "geo/paris", 1);
    assert_eq!(paris.scorer_results[2].score, Some(0.5), "P is half");
    assert!(paris.workflow_output.as_ref().unwrap().as_str().unwrap().starts_with("Paris, of course."));
    assert_eq!(r.results[&0][0].0, "samples/1_epoch_1.json", "results carry their zip member");
}

#[test]
fn tool_events_become_tool_calls_of_the_step_that_asked() {
    let path = fixture("tools.eval");
    let (_, r) = read("tools.eval");
    let add = r.result(0, "add", 1);
    let trace = add.trace.as_ref().unwrap();
    assert_eq!(trace.steps.len(), 2, "two model calls: the tool request and the answer");
    assert_eq!(trace.tool_calls.len(), 1);
    let call = &trace.tool_calls[0];
    assert_eq!(call.tool_name, "add");
    assert_eq!(call.step_index, Some(0));
    let raw = member(&path, "samples/add_epoch_1.json");
    let event = raw["events"].as_array().unwrap().iter().find(|e| e["event"] == "tool").unwrap();
    let args: Value = match &call.arguments {
        Some(assay::server::store::input::TextOrJson::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(args, event["arguments"]);
    assert_eq!(args, json!({"x": 17, "y": 25}));
    assert!(matches!(&call.result, Some(assay::server::store::input::TextOrJson::Text(t)) if t == "42"));
    assert_eq!(call.error, None);
    assert_eq!(call.duration_ms, Some(ms(&event["working_time"])));
    assert_eq!(add.verdict.map(|v| v.as_str()), Some("pass"));
    let div = r.result(0, "div", 1).trace.as_ref().unwrap();
    assert_eq!(div.tool_calls[0].tool_name, "divide");
    assert_eq!(div.tool_calls[0].error.as_deref(), Some("division by zero"), "a tool error is kept");
}

#[test]
fn chunked_samples_read_the_same_as_the_json_log_they_came_from() {
    let (f1, chunked) = read("arith-chunked.eval");
    let (f2, json) = read("arith.json");
    assert_eq!((f1, f2), (Format::InspectEval, Format::InspectJson));
    let as_json = |r: &Read_| -> (Value, Value) {
        let results: Vec<&ResultInput> = r.results[&0].iter().map(|x| &x.1).collect();
        (serde_json::to_value(&r.cases).unwrap(), serde_json::to_value(results).unwrap())
    };
    assert_eq!(as_json(&chunked), as_json(&json), "same cases and results, events and attachments included");
    assert_eq!(chunked.results[&0].len(), 3);
    let steps = chunked.result(0, "geo/paris", 1).trace.as_ref().unwrap().steps.len();
    assert_eq!(steps, 1, "the model event sits in a later chunk than the first");
    let (a, b) = (chunked.run(0), json.run(0));
    assert_eq!(meta(a)["source_id"], meta(b)["source_id"], "the same eval");
    assert_eq!(a.workflow.source, b.workflow.source, "the same setup: the same workflow version");
    assert_eq!(a.judge.source, b.judge.source);
    assert_eq!(meta(b)["source_file"], "arith.json");
    assert_eq!(json.results[&0][1].0, "samples[1]", "a JSON log's results carry their path");
}

#[test]
fn failed_cancelled_and_unfinished_logs() {
    let (_, r) = read("failed.eval");
    assert_eq!(r.run(0).run.status.as_deref(), Some("failed"));
    assert!(r.run(0).run.error.as_deref().unwrap().contains("the solver refuses"));
    let (_, r) = read("cancelled.eval");
    assert_eq!(r.run(0).run.status.as_deref(), Some("canceled"));
    assert_eq!(r.run(0).total_cases, Some(4), "four samples planned");
    assert_eq!(r.results[&0].len(), 3, "one never started");
    assert_eq!(r.result(0, "3", 1).status.as_str(), "workflow_failed");

    let (format, why, out) = refused(&fixture("started.eval"));
    assert_eq!(format, Some(Format::InspectEval));
    assert!(why.contains("still being written") && why.contains("_journal/start.json"), "{why}");
    assert_eq!(out.lines, 0, "nothing emitted");
}

#[test]
fn a_truncated_zip_and_a_json_that_is_no_log_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("arith.eval")).unwrap();
    let cut = dir.path().join("cut.eval");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (format, why, out) = refused(&cut);
    assert_eq!(format, Some(Format::InspectEval));
    assert!(why.contains("truncated"), "{why}");
    assert_eq!(out.lines, 0);

    let other = dir.path().join("package.json");
    std::fs::write(&other, r#"{"name": "x", "version": "1.0.0", "dependencies": {}}"#).unwrap();
    let (format, why, out) = refused(&other);
    assert_eq!(format, None);
    assert!(why.contains("not an Inspect AI log") && why.contains("[name, version, dependencies]"), "{why}");
    assert_eq!(out.lines, 0);

    let pretty = dir.path().join("pretty.json");
    std::fs::write(&pretty, "{\n  \"hello\": [1, 2],\n  \"world\": {}\n}\n").unwrap();
    assert!(refused(&pretty).1.contains("[hello, world]"));
    let text = dir.path().join("notes.jsonl");
    std::fs::write(&text, "just text\n").unwrap();
    assert!(refused(&text).1.contains("neither a zip archive"));
}

/// The raw v3 results of `capitals.json`, read as plain JSON.
fn raw_results(name: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap();
    doc["results"]["results"].as_array().unwrap().clone()
}

#[test]
fn promptfoo_columns_are_runs() {
    let (format, r) = read("capitals.json");
    assert_eq!(format, Format::PromptfooJson);
    let doc: Value = serde_json::from_slice(&std::fs::read(fixture("capitals.json")).unwrap()).unwrap();
    assert_eq!(r.runs.len(), 6, "2 prompts × 3 providers");
    let cols: Vec<(u32, &str, &str, &str)> = r
        .runs
        .iter()
        .map(|h| (h.key, h.run.channel.as_deref().unwrap(), h.run.notes.as_deref().unwrap(), h.run.model.as_deref().unwrap()))
        .collect();
    assert_eq!(
        cols,
        [
            (0, "echo-a", "plain", "echo"),
            (1, "echo-a", "polite", "echo"),
            (2, "echo-b", "plain", "echo"),
            (3, "echo-b", "polite", "echo"),
            (4, "priced", "plain", "file://priced.js"),
            (5, "priced", "polite", "file://priced.js"),
        ],
        "two echo providers share an id: the label names the channel"
    );
    for h in &r.runs {
        assert_eq!(h.bench.name, "Capitals--echo-smoke", "the slug of config.description");
        assert_eq!(h.bench.description.as_deref(), Some("Capitals: echo smoke"));
        assert_eq!(meta(h)["source_format"], "promptfoo");
        assert_eq!(meta(h)["source_id"], doc["evalId"]);
        assert_eq!(meta(h)["source_column"], h.key);
        assert_eq!(h.run.triggered_at.as_ref(), doc["results"]["timestamp"].as_str().map(str::to_string).as_ref());
        assert_eq!(h.judge.source, r.runs[0].judge.source, "one judge for the file");
    }
    assert_ne!(r.runs[0].workflow.source, r.runs[2].workflow.source, "echo-a and echo-b are different setups");
    let judge = r.runs[0].judge.source.as_deref().unwrap();
    for kind in ["contains", "icontains", "javascript", "\"mentions\""] {
        assert!(judge.contains(kind), "{judge}");
    }
}

#[test]
fn promptfoo_results_map_field_by_field() {
    let (_, r) = read("capitals.json");
    assert_eq!(r.cases.len(), 5, "five tests, sent once for all six columns");
    let raws = raw_results("capitals.json");
    assert_eq!(r.results.values().map(Vec::len).sum::<usize>(), raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let key = raw["promptIdx"].as_u64().unwrap() as u32;
        let (loc, res) = r.results[&key]
            .iter()
            .find(|(loc, _)| loc == &format!("results.results[{i}]"))
            .unwrap_or_else(|| panic!("result {i} not emitted"));
        assert!(loc.ends_with(&format!("[{i}]")));
        let case = r.case(&res.case_id);
        assert_eq!(case.inputs.as_ref(), Some(&raw["testCase"]["vars"]), "vars are the case's inputs");
        assert_eq!(case.name.as_deref(), raw["testCase"]["description"].as_str().or(Some("country=Peru")));
        assert_eq!(res.epoch, Some(1));
        assert_eq!(res.duration_ms, raw["latencyMs"].as_i64(), "latencyMs");
        assert_eq!(res.cost_usd, raw["cost"].as_f64(), "cost");
        assert_eq!(res.input_tokens, raw["tokenUsage"]["prompt"].as_i64(), "prompt tokens");
        assert_eq!(res.output_tokens, raw["tokenUsage"]["completion"].as_i64(), "completion tokens");
        if raw["failureReason"] == 2 {
            assert_eq!(res.status.as_str(), "workflow_failed", "an error result");
            assert_eq!(res.error.as_deref(), raw["error"].as_str());
            assert!(res.error.as_deref().unwrap().contains("transform exploded"));
            assert_eq!((res.verdict, res.headline_score), (None, None));
            continue;
        }
        assert_eq!(res.status.as_str(), "ok");
        assert_eq!(res.error, None, "an assertion failure is no execution error");
        assert_eq!(res.headline_score, raw["score"].as_f64());
        assert_eq!(res.verdict.map(|v| v.as_str()), Some(if raw["success"] == true { "pass" } else { "fail" }), "promptfoo's success");
        assert_eq!(res.workflow_output.as_ref(), Some(&raw["response"]["output"]));
        let comps = raw["gradingResult"]["componentResults"].as_array().unwrap();
        assert_eq!(res.scorer_results.len(), comps.len());
        for (s, c) in res.scorer_results.iter().zip(comps) {
            let a = &c["assertion"];
            assert_eq!(s.scorer_name, a["metric"].as_str().or(a["type"].as_str()).unwrap(), "the metric, else the type");
            assert_eq!(s.score, c["score"].as_f64());
            assert_eq!(s.passed, c["pass"].as_bool());
            assert_eq!(s.reason.as_deref(), c["reason"].as_str());
        }
        let named: BTreeMap<String, f64> = serde_json::from_value(raw["namedScores"].clone()).unwrap();
        assert_eq!(res.dimension_scores, named, "namedScores are dimensions");
    }
    let priced = r.result(4, &r.results[&4][0].1.case_id, 1);
    assert!(priced.input_tokens.unwrap() > 0 && priced.cost_usd.unwrap() > 0.0, "the priced provider's numbers came through");
    let strict = r.cases.iter().find(|c| c.name.as_deref() == Some("strict")).unwrap();
    let res = r.result(0, &strict.id, 1);
    assert_eq!((res.headline_score, res.verdict.map(|v| v.as_str())), (Some(0.7), Some("fail")), "promptfoo's threshold of 0.9, not ours");
    let ids: std::collections::BTreeSet<&str> = r.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
}

#[test]
fn promptfoo_jsonl_repeats_are_epochs() {
    let (format, r) = read("repeat.jsonl");
    assert_eq!(format, Format::PromptfooJsonl);
    let bytes = std::fs::read(fixture("repeat.jsonl")).unwrap();
    assert_eq!(r.runs.len(), 2);
    for h in &r.runs {
        assert_eq!(h.bench.name, "repeat", "no config in a .jsonl: the file's stem");
        assert_eq!(meta(h)["source_id"], assay::server::hash::sha256_hex(&bytes), "no evalId: the file's sha256");
        assert_eq!(h.run.notes.as_deref(), Some("plain"));
    }
    assert_eq!([r.run(0).run.channel.as_deref(), r.run(1).run.channel.as_deref()], [Some("echo-a"), Some("echo-b")]);
    assert_eq!(r.cases.len(), 3);
    for key in [0, 1] {
        assert_eq!(r.results[&key].len(), 6, "3 tests × 2 repeats");
        for c in &r.cases {
            let epochs: Vec<i64> = r.results[&key].iter().filter(|(_, x)| x.case_id == c.id).map(|(_, x)| x.epoch.unwrap()).collect();
            assert_eq!(epochs, [1, 2], "the repeat is the next epoch of the same case");
        }
    }
    assert_eq!(r.results[&0][0].0, "line 1");
    // The same tests in the .json export have the same case ids.
    let (_, json) = read("capitals.json");
    let france = |x: &Read_| x.cases.iter().find(|c| c.name.as_deref() == Some("france")).unwrap().id.clone();
    assert_eq!(france(&r), france(&json));
}

#[test]
fn promptfoo_version_2_exports() {
    let (format, r) = read("capitals-v2.json");
    assert_eq!(format, Format::PromptfooJson);
    let doc: Value = serde_json::from_slice(&std::fs::read(fixture("capitals-v2.json")).unwrap()).unwrap();
    assert_eq!(doc["results"]["version"], 2);
    assert_eq!(r.runs.len(), 2);
    assert_eq!(r.runs[0].bench.name, "Capitals--version-2-export");
    assert_eq!(r.cases.len(), 2);
    let body = doc["results"]["table"]["body"].as_array().unwrap();
    for (i, row) in body.iter().enumerate() {
        for (j, cell) in row["outputs"].as_array().unwrap().iter().enumerate() {
            let (_, res) = r.results[&(j as u32)].iter().find(|(l, _)| l == &format!("results.table.body[{i}].outputs[{j}]")).unwrap();
            assert_eq!(res.headline_score, cell["score"].as_f64());
            assert_eq!(res.verdict.map(|v| v.as_str()), Some(if cell["pass"] == true { "pass" } else { "fail" }));
            assert_eq!(res.workflow_output.as_ref().and_then(Value::as_str), cell["prompt"].as_str(), "echo: the output is the prompt, without the failure reason");
            assert_eq!(r.case(&res.case_id).inputs.as_ref(), Some(&row["test"]["vars"]));
        }
    }
}

#[test]
fn bundles_one_a_line_and_bench_and_channel_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = |n: u32| {
        json!({"bench": {"name": "b"}, "cases": [{"id": "q1"}], "workflow": {"name": "w", "source": "w"}, "judge": {"name": "j", "source": "j"},
               "run": {"channel": "nightly", "metadata": {"git": n}}, "results": [{"case_id": "q1", "status": "ok", "headline_score": 0.5}]})
    };
    let lines = dir.path().join("bundles.jsonl");
    std::fs::write(&lines, format!("{}\n{}\n", bundle(1), bundle(2))).unwrap();
    let opts = ReadOptions { bench: Some("other".into()), channel: Some("ci".into()) };
    let (format, r) = read_with(&lines, &opts).map_err(|_| ()).unwrap();
    assert_eq!(format, Format::BundleLines);
    assert_eq!(r.runs.len(), 2);
    for (k, h) in r.runs.iter().enumerate() {
        assert_eq!(h.bench.name, "other");
        assert_eq!(h.run.channel.as_deref(), Some("ci"));
        assert_eq!(meta(h)["source_format"], "bundle");
        assert_eq!(meta(h)["source_column"], k);
        assert_eq!(meta(h)["git"], k + 1, "the bundle's own metadata stays");
    }
    let array = dir.path().join("bundles.json");
    std::fs::write(&array, serde_json::to_string_pretty(&json!([bundle(1), bundle(2)])).unwrap()).unwrap();
    assert_eq!(read_with(&array, &ReadOptions::default()).map_err(|_| ()).unwrap().0, Format::BundleArray);
    let one = dir.path().join("one.json");
    std::fs::write(&one, serde_json::to_string_pretty(&bundle(7)).unwrap()).unwrap();
    let (format, r) = read_with(&one, &ReadOptions::default()).map_err(|_| ()).unwrap();
    assert_eq!(format, Format::Bundle);
    assert_eq!(r.results[&0].len(), 1);

    let opts = ReadOptions { bench: Some("mine".into()), channel: Some("prod".into()) };
    let (_, r) = read_with(&fixture("tools.eval"), &opts).map_err(|_| ()).unwrap();
    assert_eq!((r.run(0).bench.name.as_str(), r.run(0).run.channel.as_deref()), ("mine", Some("prod")));
}
