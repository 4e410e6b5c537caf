//! Live run events (SPEC §3b, issue 9) on both backends, through the real router: results after
//! commit with per-run sequence ids, nothing for a refused batch, replacements sent again,
//! `terminal` for complete / fail / cancel and at once for a finished run, 404 before any byte,
//! read credentials behind the auth gate (a session cookie will do), `Last-Event-ID` replayed
//! from the database, `lagged` counting results, slots freed when a subscriber leaves, the run
//! list's `progress` stream, and the shutdown hook.

mod common;

use axum::http::StatusCode;
use common::sse::{eventually, EventReader, Ev};
use common::TestApp;
use serde_json::{json, Value};

on_both_backends!(
    results_arrive_after_commit_numbered_per_run,
    a_refused_batch_sends_nothing,
    a_replaced_result_is_sent_again,
    finishing_sends_terminal_and_ends_the_stream,
    a_finished_run_sends_terminal_at_once,
    unknown_runs_are_404_before_any_byte,
    the_streams_need_read_credentials_a_session_cookie_will_do,
    last_event_id_resumes_from_the_database,
    a_subscriber_behind_its_buffer_is_told_how_many_results_it_lost,
    subscribers_that_leave_free_their_slots,
    the_run_list_stream_sends_progress_until_its_runs_finish,
    shutdown_ends_every_stream_with_a_last_comment,
    akribes_sdk_subscribes_to_run_events,
    the_migration_numbers_existing_results_in_id_order,
);

const CASES: &[&str] = &["a", "b", "c", "d", "e", "f"];

async fn push(t: &TestApp, run: i64, results: Value) -> Value {
    let (s, b) = t.post(&format!("/api/runs/{run}/results"), json!({ "results": results })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

fn ok(case: &str, score: f64) -> Value {
    json!({"case_id": case, "status": "ok", "headline_score": score, "duration_ms": 100, "output": format!("out {case}")})
}

fn results(evs: &[Ev]) -> Vec<(i64, String)> {
    evs.iter()
        .map(|e| {
            assert_eq!(e.event, "result", "{e:?}");
            (e.id.expect("a result event has an id"), e.data["case_id"].as_str().unwrap().to_string())
        })
        .collect()
}

async fn results_table(t: &TestApp, run: i64) -> Vec<Value> {
    let (s, rows) = t.get(&format!("/bench-runs/{run}/results")).await;
    assert_eq!(s, StatusCode::OK);
    rows.as_array().unwrap().clone()
}

async fn results_arrive_after_commit_numbered_per_run(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let other = t.trigger("live", "production").await;
    let mut api = EventReader::must_open(&t, &format!("/api/runs/{run}/events")).await;
    let mut seed = EventReader::must_open(&t, &format!("/bench-runs/{run}/events")).await;
    push(&t, run, json!([ok("a", 0.9), {"case_id": "b", "status": "workflow_failed", "error": "timeout"}])).await;
    // Another run's results are numbered on their own and never reach this stream.
    push(&t, other, json!([ok("a", 0.1)])).await;
    // Every column set, so the event's row is checked field for field (SQLite reads it raw).
    push(&t, run, json!([{
        "case_id": "c", "status": "cached", "headline_score": 0.4, "score": {"rubric": "B", "n": 2},
        "output": {"text": "out c"}, "duration_ms": 12, "input_tokens": 5, "output_tokens": 6, "tool_tokens": 1,
        "workflow_cost_usd": 0.01, "judge_cost_usd": 0.002, "cache_hit": true, "input_hash": "h-c",
        "workflow_execution_id": "wf-c", "judge_execution_id": "jd-c"
    }])).await;
    let evs = api.take(3).await;
    assert_eq!(results(&evs), vec![(1, "a".into()), (2, "b".into()), (3, "c".into())]);
    assert_eq!(seed.take(3).await, evs, "both routes send the same stream");
    // Each event is the row `/bench-runs/{id}/results` lists, field for field.
    let table = results_table(&t, run).await;
    for e in &evs {
        let row = table.iter().find(|r| r["case_id"] == e.data["case_id"]).unwrap();
        assert_eq!(&e.data, row, "result event = BenchResult row");
    }
    assert_eq!(evs[0].data["bench_run_id"], run);
    assert_eq!(evs[0].data["verdict"], "pass");
    assert_eq!(evs[0].data["workflow_output"], "out a");
    assert_eq!(evs[1].data["error"], "timeout");
    assert_eq!((evs[2].data["cache_hit"].clone(), evs[2].data["tokens_used"].clone()), (json!(true), json!(12)));
    assert_eq!(evs[2].data["judge_execution_id"], "jd-c");
    assert_eq!(t.events.subscriber_count(), 2);
}

async fn a_refused_batch_sends_nothing(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let mut evs = EventReader::must_open(&t, &format!("/api/runs/{run}/events")).await;
    let before = t.table_counts().await;
    let (s, b) = t
        .post(&format!("/api/runs/{run}/results"), json!({"results": [ok("a", 0.5), {"case_id": "b", "status": "passed"}]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = t.post(&format!("/api/runs/{run}/results"), json!({"results": [ok("not-a-case", 0.5)]})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_in_selection")), "{b}");
    assert_eq!(t.table_counts().await, before, "refused batches write nothing");
    // The first event after two refused batches is the next good one, numbered 1.
    push(&t, run, json!([ok("c", 0.7)])).await;
    let first = evs.next().await.unwrap();
    assert_eq!(results(&[first]), vec![(1, "c".into())]);
    // A batch to a finished run is refused too, and the stream ends with `terminal` alone.
    t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
    let (s, _) = t.post(&format!("/api/runs/{run}/results"), json!({"results": [ok("d", 0.5)]})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let rest = evs.rest().await;
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0].event, "terminal");
}

async fn a_replaced_result_is_sent_again(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let mut evs = EventReader::must_open(&t, &format!("/api/runs/{run}/events")).await;
    push(&t, run, json!([ok("a", 0.2), ok("b", 0.3)])).await;
    // Seen before it is replaced (a row replaced before anyone read it is gone from the database:
    // a stream that reads after both commits carries only the replacement, as a replay does).
    let mut got = evs.take(2).await;
    let counts = push(&t, run, json!([ok("a", 0.95)])).await;
    assert_eq!(counts, json!({"inserted": 0, "replaced": 1}));
    got.extend(evs.take(1).await);
    assert_eq!(results(&got), vec![(1, "a".into()), (2, "b".into()), (3, "a".into())]);
    assert_eq!(got[0].data["headline_score"], 0.2);
    assert_eq!(got[2].data["headline_score"], 0.95, "the replacement, under a new sequence number");
    let table = results_table(&t, run).await;
    assert_eq!(table.len(), 2);
    assert_eq!(table.iter().find(|r| r["case_id"] == "a").unwrap(), &got[2].data);
}

async fn finishing_sends_terminal_and_ends_the_stream(t: TestApp) {
    t.seed_bench("live", CASES).await;
    for (route, status) in [
        ("/api/runs/{id}/complete", "completed"),
        ("/api/runs/{id}/fail", "failed"),
        ("/api/runs/{id}/cancel", "canceled"),
        ("/bench-runs/{id}/cancel", "canceled"),
    ] {
        let run = t.trigger("live", "production").await;
        let mut evs = EventReader::must_open(&t, &format!("/bench-runs/{run}/events")).await;
        push(&t, run, json!([ok("a", 0.5)])).await;
        let (s, b) = t.post(&route.replace("{id}", &run.to_string()), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let all = evs.rest().await;
        assert_eq!(all.len(), 2, "{route}: {all:?}");
        assert_eq!(results(&all[..1]), vec![(1, "a".into())]);
        assert_eq!(all[1], Ev { id: None, event: "terminal".into(), data: json!({"status": status}) }, "{route}");
        assert!(evs.ended, "{route}: the stream ends after terminal");
    }
    // A deleted run's stream ends too.
    let run = t.trigger("live", "production").await;
    let mut evs = EventReader::must_open(&t, &format!("/api/runs/{run}/events")).await;
    let (s, _) = t.send(axum::http::Method::DELETE, &format!("/api/runs/{run}"), Some(&t.admin.clone()), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(evs.rest().await, vec![Ev { id: None, event: "terminal".into(), data: json!({"status": "deleted"}) }]);
}

async fn a_finished_run_sends_terminal_at_once(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    push(&t, run, json!([ok("a", 0.5), ok("b", 0.6)])).await;
    t.post(&format!("/api/runs/{run}/fail"), json!({"error": "harness crashed"})).await;
    let mut evs = EventReader::must_open(&t, &format!("/bench-runs/{run}/events")).await;
    assert_eq!(evs.rest().await, vec![Ev { id: None, event: "terminal".into(), data: json!({"status": "failed"}) }]);
    eventually("a finished stream frees its slot", || t.events.subscriber_count() == 0).await;
}

async fn unknown_runs_are_404_before_any_byte(t: TestApp) {
    for path in ["/api/runs/987654/events", "/bench-runs/987654/events", "/api/runs/abc/events"] {
        let Err((s, body)) = EventReader::open(&t, path, None, None).await else { panic!("{path} streamed") };
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let Err((s, body)) = EventReader::open(&t, &format!("/api/runs/{run}/events"), Some("later"), None).await else {
        panic!("a bad Last-Event-ID streamed")
    };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "Last-Event-ID");
    eventually("refused subscribers hold no slot", || t.events.subscriber_count() == 0).await;
    assert_eq!(t.events.feed_count(), 0);

}

/// With `--auth required` the streams sit behind the gate: refused without credentials (also
/// with a bad cookie), open to a read token and to a sign-in session's cookie — what a
/// browser's `EventSource` sends — and the stream carries results to the cookie's holder.
async fn the_streams_need_read_credentials_a_session_cookie_will_do(t: TestApp) {
    let locked = TestApp::with_auth(t.kind(), assay::server::config::AuthMode::Required).await.unwrap();
    locked.seed_bench("live", CASES).await;
    let run = locked.trigger("live", "production").await;
    let (session, _) = locked.store.create_session(&locked.read, 3_600_000).await.unwrap().expect("a read token signs in");
    let cookie = format!("assay_session={session}");
    let read = locked.read.clone();
    for path in [format!("/api/runs/{run}/events"), format!("/bench-runs/{run}/events"), format!("/api/events?runs={run}")] {
        let Err((s, body)) = EventReader::open(&locked, &path, None, None).await else { panic!("{path} streamed without credentials") };
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}: {body}");
        let bad = format!("assay_session={}", "0".repeat(64));
        let Err((s, _)) = EventReader::open_with(&locked, &path, &[("cookie", &bad)]).await else { panic!("{path} streamed on a made-up cookie") };
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert!(EventReader::open(&locked, &path, None, Some(&read)).await.is_ok(), "{path} with a read token");
    }
    let mut by_cookie = match EventReader::open_with(&locked, &format!("/api/runs/{run}/events"), &[("cookie", &cookie)]).await {
        Ok(r) => r,
        Err((s, b)) => panic!("the session cookie was refused: {s} {b}"),
    };
    let mut progress = EventReader::open_with(&locked, &format!("/api/events?runs={run}"), &[("cookie", &cookie)]).await.unwrap();
    assert_eq!(progress.next().await.unwrap().data["status"], "pending");
    push(&locked, run, json!([ok("a", 0.8)])).await;
    assert_eq!(results(&by_cookie.take(1).await), vec![(1, "a".into())]);
    let p = progress.next().await.unwrap();
    assert_eq!((p.event.as_str(), p.data["results"].clone(), p.data["status"].clone()), ("progress", json!(1), json!("running")));
}

async fn last_event_id_resumes_from_the_database(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    push(&t, run, json!([ok("a", 0.1), ok("b", 0.2)])).await; // 1, 2
    push(&t, run, json!([ok("c", 0.3)])).await; // 3
    push(&t, run, json!([ok("a", 0.4)])).await; // 4 replaces 1
    let path = format!("/api/runs/{run}/events");
    // Without Last-Event-ID a subscriber starts at the end; with one, it first reads what it
    // missed — replaced rows come back once, under their new number.
    let mut resumed = EventReader::open(&t, &path, Some("2"), None).await.unwrap();
    let mut from_start = EventReader::open(&t, &path, Some("0"), None).await.unwrap();
    let mut fresh = EventReader::must_open(&t, &path).await;
    assert_eq!(results(&resumed.take(2).await), vec![(3, "c".into()), (4, "a".into())]);
    assert_eq!(results(&from_start.take(3).await), vec![(2, "b".into()), (3, "c".into()), (4, "a".into())]);
    push(&t, run, json!([ok("d", 0.5)])).await; // 5
    for r in [&mut resumed, &mut from_start, &mut fresh] {
        assert_eq!(results(&r.take(1).await), vec![(5, "d".into())], "then live, without a gap or a repeat");
    }
    // A finished run replays from the database, then ends.
    t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
    let mut after = EventReader::open(&t, &path, Some("3"), None).await.unwrap();
    let all = after.rest().await;
    assert_eq!(results(&all[..2]), vec![(4, "a".into()), (5, "d".into())]);
    assert_eq!(all[2].event, "terminal");
    assert_eq!(all.len(), 3);
    // An id past the run's end (another database, a reset) resumes from the end.
    let mut ahead = EventReader::open(&t, &path, Some("99"), None).await.unwrap();
    assert_eq!(ahead.rest().await.len(), 1);
}

async fn a_subscriber_behind_its_buffer_is_told_how_many_results_it_lost(t: TestApp) {
    let cases: Vec<String> = (0..200).map(|i| format!("c{i:03}")).collect();
    let refs: Vec<&str> = cases.iter().map(String::as_str).collect();
    t.seed_bench("live", &refs).await;
    let run = t.trigger("live", "production").await;
    let path = format!("/api/runs/{run}/events");
    // Neither reads while the first 64 batches arrive; each batch is fanned out on its own.
    let mut keeps_up = EventReader::must_open(&t, &path).await;
    let mut falls_behind = EventReader::must_open(&t, &path).await;
    let batch = |i: usize| json!([ok(&cases[2 * i], 0.5), ok(&cases[2 * i + 1], 0.5)]);
    let mut sent = 0i64;
    for i in 0..64 {
        push(&t, run, batch(i)).await;
        sent += 2;
        eventually("the feed fans the batch out", || t.events.position(run) == Some(sent)).await;
    }
    // 64 batches are within the buffer: all of them, no `lagged`.
    let first = keeps_up.take(128).await;
    assert_eq!(results(&first).iter().map(|r| r.0).collect::<Vec<_>>(), (1..=128).collect::<Vec<_>>());
    for i in 64..100 {
        push(&t, run, batch(i)).await;
        sent += 2;
        eventually("the feed fans the batch out", || t.events.position(run) == Some(sent)).await;
    }
    assert_eq!(results(&keeps_up.take(72).await).last().unwrap().0, 200);
    // 100 batches unread: the oldest are gone from its buffer. It gets what it had, one
    // `lagged` with the number of results it lost, then every later result and `terminal`.
    let mut all = Vec::new();
    while all.last().map_or(true, |e: &Ev| e.id != Some(200)) {
        all.push(falls_behind.next().await.expect("the stream goes on"));
    }
    t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
    all.extend(falls_behind.rest().await);
    let lag = all.iter().position(|e| e.event == "lagged").expect("a lagged event");
    assert_eq!(all.iter().filter(|e| e.event == "lagged").count(), 1);
    let dropped = all[lag].data["dropped"].as_i64().unwrap();
    let before: Vec<i64> = results(&all[..lag]).iter().map(|r| r.0).collect();
    let after: Vec<i64> = results(&all[lag + 1..all.len() - 1]).iter().map(|r| r.0).collect();
    assert_eq!(before, (1..=before.len() as i64).collect::<Vec<_>>(), "in order up to the gap");
    assert_eq!(after.first().copied(), Some(before.len() as i64 + dropped + 1), "resumes right after what it lost");
    assert_eq!(after.last().copied(), Some(200));
    assert_eq!(before.len() as i64 + dropped + after.len() as i64, 200, "dropped counts results");
    assert_eq!(dropped % 2, 0, "whole batches of two were lost");
    assert!(after.len() >= 128, "the buffer held at least 64 batches: {}", after.len());
    assert_eq!(all.last().unwrap().event, "terminal");
}

async fn subscribers_that_leave_free_their_slots(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let a = t.trigger("live", "production").await;
    let b = t.trigger("live", "production").await;
    assert_eq!(t.events.subscriber_count(), 0);
    let one = EventReader::must_open(&t, &format!("/api/runs/{a}/events")).await;
    let two = EventReader::must_open(&t, &format!("/bench-runs/{a}/events")).await;
    let list = EventReader::must_open(&t, &format!("/api/events?runs={a},{b}")).await;
    assert_eq!(t.events.subscriber_count(), 4, "two on run a, and the list on a and b");
    assert_eq!(t.events.feed_count(), 2);
    drop(one);
    eventually("a client that goes away frees its slot", || t.events.subscriber_count() == 3).await;
    drop(two);
    drop(list);
    eventually("every slot freed", || t.events.subscriber_count() == 0).await;
    assert_eq!(t.events.feed_count(), 0, "feeds stop with their last subscriber");
    // A stream that ended with terminal frees its slot as well.
    let mut ends = EventReader::must_open(&t, &format!("/api/runs/{a}/events")).await;
    t.post(&format!("/api/runs/{a}/complete"), json!({})).await;
    assert_eq!(ends.rest().await.len(), 1);
    eventually("an ended stream frees its slot", || t.events.subscriber_count() == 0).await;
}

async fn the_run_list_stream_sends_progress_until_its_runs_finish(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let done = t.trigger("live", "production").await;
    push(&t, done, json!([ok("a", 1.0)])).await;
    t.post(&format!("/api/runs/{done}/complete"), json!({})).await;
    let running = t.trigger("live", "production").await;
    let mut list = EventReader::must_open(&t, &format!("/api/events?runs={running},{done}")).await;
    // First where each run stands now.
    let first = list.take(2).await;
    assert!(first.iter().all(|e| e.event == "progress" && e.id.is_none()), "{first:?}");
    assert_eq!(first[0].data["run_id"], running);
    assert_eq!((first[0].data["results"].clone(), first[0].data["status"].clone()), (json!(0), json!("pending")));
    assert_eq!(first[1].data["run_id"], done);
    assert_eq!((first[1].data["results"].clone(), first[1].data["status"].clone()), (json!(1), json!("completed")));
    // Then after each change of a running run, with the aggregates the pages show. (The
    // finished run may be said again — a signal of its last change can arrive late — but
    // only as it stands.)
    let next_of_running = async |list: &mut EventReader| loop {
        let e = list.next().await?;
        if e.data["run_id"] == done {
            assert_eq!(e.data, first[1].data);
            continue;
        }
        return Some(e);
    };
    push(&t, running, json!([ok("a", 0.8), ok("b", 0.2)])).await;
    let p = next_of_running(&mut list).await.unwrap();
    assert_eq!(p.event, "progress");
    assert_eq!(p.data["run_id"], running);
    assert_eq!(p.data["results"], 2);
    assert_eq!(p.data["status"], "running");
    let (_, api) = t.get(&format!("/api/runs/{running}")).await;
    assert_eq!(p.data["run"], api, "the run as /api/runs/{{id}} answers it");
    let (_, stats) = t.get(&format!("/api/runs/{running}/stats")).await;
    assert_eq!(p.data["stats"], stats);
    t.post(&format!("/api/runs/{running}/complete"), json!({})).await;
    let last = next_of_running(&mut list).await.unwrap();
    assert_eq!(last.data["status"], "completed");
    assert_eq!(last.data["run"]["passed"], 1);
    assert!(next_of_running(&mut list).await.is_none(), "the stream ends with its last run");
    // A list of finished runs says where they stand and ends.
    let mut finished = EventReader::must_open(&t, &format!("/api/events?runs={done}")).await;
    assert_eq!(finished.rest().await.len(), 1);
    // Bad lists are refused with the field named.
    for (q, status) in [("runs=1,x", StatusCode::UNPROCESSABLE_ENTITY), ("runs=", StatusCode::UNPROCESSABLE_ENTITY), ("runs=987654", StatusCode::NOT_FOUND)] {
        let Err((s, body)) = EventReader::open(&t, &format!("/api/events?{q}"), None, None).await else { panic!("{q} streamed") };
        assert_eq!(s, status, "{q}: {body}");
        assert_eq!(body["error"]["field"], "runs", "{q}");
    }
    let many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let Err((s, _)) = EventReader::open(&t, &format!("/api/events?runs={}", many.join(",")), None, None).await else { panic!() };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    eventually("every slot freed", || t.events.subscriber_count() == 0).await;
}

async fn shutdown_ends_every_stream_with_a_last_comment(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let mut one = EventReader::must_open(&t, &format!("/api/runs/{run}/events")).await;
    let mut list = EventReader::must_open(&t, &format!("/api/events?runs={run}")).await;
    assert_eq!(list.take(1).await[0].event, "progress");
    t.events.close();
    assert!(one.rest().await.is_empty());
    assert!(list.rest().await.is_empty());
    assert_eq!(one.comments(), ["server shutting down"]);
    assert_eq!(list.comments(), ["server shutting down"]);
    eventually("closed streams free their slots", || t.events.subscriber_count() == 0).await;
}

async fn akribes_sdk_subscribes_to_run_events(t: TestApp) {
    use akribes_sdk::BenchRunEvent;
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let base = t.serve().await;
    let client = akribes_sdk::AkribesClient::builder(base).token(t.read.clone()).build();
    let runs = client.bench_runs();
    // The seed's client gives a request 60 s in all: this whole exchange takes well under one.
    let within = std::time::Duration::from_secs(20);
    let (mut rx, sub) = tokio::time::timeout(within, runs.subscribe_run_events(run)).await.unwrap().expect("subscribe");
    push(&t, run, json!([ok("a", 0.9), {"case_id": "b", "status": "cached", "headline_score": 0.3, "cache_hit": true}])).await;
    push(&t, run, json!([{"case_id": "c", "status": "workflow_failed", "error": "timeout"}, ok("a", 0.1)])).await;
    t.post(&format!("/api/runs/{run}/complete"), json!({})).await;
    let mut seen = Vec::new();
    let status = loop {
        match tokio::time::timeout(within, rx.recv()).await.expect("an event in time").expect("the stream goes on") {
            BenchRunEvent::Result(r) => seen.push(*r),
            BenchRunEvent::Lagged { dropped } => panic!("lagged by {dropped}"),
            BenchRunEvent::Terminal { status } => break status,
        }
    };
    assert_eq!(status, "completed");
    let ids: Vec<(&str, Option<f64>)> = seen.iter().map(|r| (r.case_id.as_str(), r.headline_score)).collect();
    assert_eq!(ids, vec![("a", Some(0.9)), ("b", Some(0.3)), ("c", None), ("a", Some(0.1))], "every result, the replacement too");
    // What the client decoded is what the API stores, field for field.
    let (_, a) = t.get(&format!("/api/runs/{run}/results/a")).await;
    let last = &seen[3];
    assert_eq!(last.id, a["id"].as_i64().unwrap());
    assert_eq!(last.bench_run_id, run);
    assert_eq!(last.status, "ok");
    assert_eq!(last.verdict.as_deref(), Some("fail"));
    assert_eq!(last.workflow_output, Some(json!("out a")));
    assert_eq!(last.duration_ms, Some(100));
    assert_eq!(last.created_at, a["created_at"]);
    assert!(seen[1].cache_hit);
    assert_eq!(seen[2].error.as_deref(), Some("timeout"));
    assert!(rx.recv().await.is_none(), "nothing after terminal");
    drop(sub);
    eventually("the client's slot is freed", || t.events.subscriber_count() == 0).await;

    // A finished run: terminal at once. An unknown run: the subscription fails with the 404.
    let (mut rx, _sub) = runs.subscribe_run_events(run).await.expect("subscribe to a finished run");
    match tokio::time::timeout(within, rx.recv()).await.unwrap() {
        Some(BenchRunEvent::Terminal { status }) => assert_eq!(status, "completed"),
        other => panic!("expected terminal, got {other:?}"),
    }
    match runs.subscribe_run_events(987_654).await {
        Err(akribes_sdk::AkribesError::HttpStatus { status: 404, .. }) => {}
        Err(e) => panic!("expected a 404, got {e}"),
        Ok(_) => panic!("subscribed to an unknown run"),
    }
    // A client that goes away mid-stream (the subscription dropped) frees its slot too.
    let other = t.trigger("live", "production").await;
    let (_rx, sub) = runs.subscribe_run_events(other).await.expect("subscribe");
    eventually("the subscriber is counted", || t.events.subscriber_count() == 1).await;
    drop(sub);
    eventually("a client that hangs up frees its slot", || t.events.subscriber_count() == 0).await;
}

async fn the_migration_numbers_existing_results_in_id_order(t: TestApp) {
    t.seed_bench("live", CASES).await;
    let run = t.trigger("live", "production").await;
    let other = t.trigger("live", "production").await;
    push(&t, run, json!([ok("a", 0.1), ok("b", 0.2), ok("c", 0.3)])).await;
    push(&t, other, json!([ok("a", 0.1)])).await;
    push(&t, run, json!([ok("b", 0.9)])).await;
    // Rows as a database from before 0006 holds them: no numbers. Then 0006's own backfill.
    let dir = if t.kind() == common::Kind::Sqlite { "sqlite" } else { "postgres" };
    let sql = std::fs::read_to_string(format!("migrations/{dir}/0006_events.sql")).unwrap();
    let statements: Vec<String> = sql
        .split(';')
        .map(|s| s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n"))
        .map(|s| s.trim().to_string())
        .filter(|s| s.starts_with("UPDATE") || s.starts_with("CREATE"))
        .collect();
    assert_eq!(statements.len(), 3, "{statements:?}");
    let mut tx = t.db.begin().await.unwrap();
    tx.exec("DROP INDEX results_by_seq", vec![]).await.unwrap();
    tx.exec("UPDATE results SET seq = 0", vec![]).await.unwrap();
    tx.exec("UPDATE runs SET event_seq = 0", vec![]).await.unwrap();
    for s in &statements {
        tx.exec(s, vec![]).await.unwrap();
    }
    tx.commit().await.unwrap();
    let rows: Vec<(i64, String, i64)> =
        t.db.all("SELECT run_id, case_id, seq FROM results ORDER BY run_id, id", vec![]).await.unwrap();
    assert_eq!(
        rows,
        vec![(run, "a".into(), 1), (run, "c".into(), 2), (run, "b".into(), 3), (other, "a".into(), 1)],
        "numbered per run in id order (b was replaced last)"
    );
    let seqs: Vec<(i64,)> = t.db.all("SELECT event_seq FROM runs ORDER BY id", vec![]).await.unwrap();
    assert_eq!(seqs, vec![(3,), (1,)]);
    // New results continue the numbering.
    let mut evs = EventReader::open(&t, &format!("/api/runs/{run}/events"), Some("2"), None).await.unwrap();
    push(&t, run, json!([ok("d", 0.5)])).await;
    assert_eq!(results(&evs.take(2).await), vec![(3, "b".into()), (4, "d".into())]);
}
