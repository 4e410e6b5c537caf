// Start the built server on a fresh SQLite database, wait until it listens, and seed it
// through the real write API with a token made by the real CLI.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// ASSAY_E2E_ADDR lets two suites run side by side on one machine.
const ADDR = process.env.ASSAY_E2E_ADDR || "127.0.0.1:3111";

export default async function globalSetup() {
  const bin = process.env.ASSAY_BIN;
  if (!bin) throw new Error("ASSAY_BIN must name the built assay binary (make test sets it)");
  const dir = mkdtempSync(join(tmpdir(), "assay-e2e-"));
  const db = `sqlite://${join(dir, "e2e.db")}`;
  const env = { ...process.env, DATABASE_URL: db, RUST_LOG: "warn" };
  const out = execFileSync(bin, ["token", "create", "--name", "e2e", "--scope", "admin"], { env }).toString();
  const token = out.trim().split("\n").pop();
  const server = spawn(bin, ["serve", "--addr", ADDR], { env, stdio: ["ignore", "inherit", "inherit"] });
  // One pid file per address: suites side by side must not stop each other's servers.
  writeFileSync(join(tmpdir(), `assay-e2e-${ADDR.replace(/[^0-9A-Za-z]/g, "_")}.pid`), String(server.pid));
  const base = `http://${ADDR}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/api/benches/none`);
      if (r.status === 404) break;
    } catch {}
    if (i > 300) throw new Error("assay did not start listening");
    await new Promise((r) => setTimeout(r, 100));
  }
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  await call("POST", "/api/scripts/workflow/support-bot/versions", { source: "def run(): ...", channels: ["production"] });
  await call("POST", "/api/scripts/judge/rubric/versions", { source: "def judge(): ...", channels: ["production"] });
  await call("PUT", "/api/benches/support-refunds", {
    workflow: "support-bot", judge: "rubric", description: "<b>Refund</b> questions <script>window.__pwned=1</script>",
  });
  await call("PUT", "/api/benches/support-refunds/cases", { cases: [{ id: "r1" }, { id: "r2" }, { id: "r3" }] });
  const run = await call("POST", "/api/runs", { bench: "support-refunds", channel: "production" });
  await call("POST", `/api/runs/${run.id}/results`, { results: [{ case_id: "r1", status: "ok", headline_score: 0.9 }] });
  await call("POST", `/api/runs/${run.id}/complete`, {});
  // 60 more runs across channels, for the run list's filters and pages.
  await call("POST", "/api/scripts/workflow/support-bot/versions", { source: "def run(): v2", channels: ["staging", "canary"] });
  const channels = ["production", "staging", "canary"];
  for (let i = 0; i < 60; i++) {
    const r = await call("POST", "/api/runs", {
      bench: "support-refunds", channel: channels[i % 3], triggered_by: i % 2 ? "ana" : "ci",
      metadata: { branch: i % 4 ? "main" : "feat/x" }, notes: `run number ${i}`,
    });
    if (i % 3 === 0) {
      await call("POST", `/api/runs/${r.id}/results`, { results: [{ case_id: "r1", status: "ok", headline_score: 0.5 }, { case_id: "r2", status: "workflow_failed" }] });
      await call("POST", `/api/runs/${r.id}/complete`, {});
    }
  }
  // A bench of 150 cases and one run over it, for the run page's table, filters, sorts and pages.
  await call("PUT", "/api/benches/paging", { workflow: "support-bot", judge: "rubric" });
  const cases = [];
  for (let i = 0; i < 150; i++) cases.push({ id: `p${String(i).padStart(3, "0")}`, name: `Paging case ${i}`, tags: i % 10 === 0 ? ["tenth"] : [] });
  await call("PUT", "/api/benches/paging/cases", { cases });
  const big = await call("POST", "/api/runs", {
    bench: "paging", channel: "production", triggered_by: "e2e",
    notes: "<img src=x onerror=window.__pwned=1> notes stay text", metadata: { git_sha: "abc1234", branch: "main" },
  });
  const statuses = ["ok", "ok", "ok", "ok", "cached", "ok", "workflow_failed", "ok", "judge_failed", "skipped"];
  await call("POST", `/api/runs/${big.id}/results`, {
    results: cases.map((c, i) => ({
      case_id: c.id, status: statuses[i % 10],
      headline_score: ["ok", "cached"].includes(statuses[i % 10]) ? (i * 37 % 101) / 100 : null,
      duration_ms: 100 + (i * 53) % 900, cost_usd: (i % 7) * 0.001,
      output: `answer ${i} <script>window.__pwned=1</script>`,
      error: statuses[i % 10] === "workflow_failed" ? `boom ${i}` : null,
      dimension_scores: ["ok", "cached"].includes(statuses[i % 10]) ? { accuracy: (i % 5) / 4, tone: 0.5 } : {},
    })),
  });
  // --- case pages and bench pages: a judge that names its scorers on known lines, a case with
  // an odd id, a 2,000-step trace with tool calls, long untrusted texts, and two channels' runs.
  await call("POST", "/api/scripts/judge/trace-judge/versions", {
    source: "# trace judge\nimport json\n\ndef exactness(output):\n    return 1.0\n\ndef politeness(output):\n    return 0.5\n",
    channels: ["production"],
  });
  await call("PUT", "/api/benches/traces", { workflow: "support-bot", judge: "trace-judge", description: "Agent traces" });
  const oddId = "odd/id é #1";
  const longText = "x".repeat(2500) + "<script>window.__pwned=1</script> END-OF-LONG";
  await call("PUT", "/api/benches/traces/cases", { cases: [
    { id: oddId, name: "Odd case", inputs: { question: "<b>why</b>" }, expected_output: longText, tags: ["odd", "long"] },
    { id: "plain", name: "Plain case", tags: ["long"] },
  ] });
  const steps = [], calls = [];
  for (let i = 0; i < 2000; i++) {
    steps.push({ index: i, type: i % 2 ? "tool" : "llm", name: `step ${i}`, output: i === 150 ? "s".repeat(900) + " STEP-TAIL" : `out ${i} <img src=x onerror=window.__pwned=1>`, tokens_used: 10 + i, duration_ms: 5 + (i % 50) });
    if (i % 2) calls.push({ step_index: i, tool_name: `tool_${i % 7}`, arguments: { q: `arg ${i}` }, result: `res ${i}`, error: i === 7 ? "tool exploded <b>loudly</b>" : null, duration_ms: 3 });
  }
  calls.push({ step_index: null, tool_name: "orphan_tool", arguments: "{}", result: "orphan result" });
  for (const [channel, score] of [["production", 0.9], ["canary", 0.4]]) {
    const r = await call("POST", "/api/runs", { bench: "traces", channel, triggered_by: "e2e" });
    await call("POST", `/api/runs/${r.id}/results`, { results: [
      { case_id: oddId, status: "ok", headline_score: score, output: longText, duration_ms: 1234, cost_usd: 0.01,
        scorer_results: [
          { scorer_name: "exactness", score, passed: score >= 0.5, reason: "reason <i>kept</i> as text", dimension: "accuracy" },
          { scorer_name: "politeness", score: 0.5, passed: true, reason: "r".repeat(2100) + " REASON-TAIL" },
        ],
        dimension_scores: { accuracy: score, tone: 0.5 },
        trace: channel === "production" ? { steps, tool_calls: calls } : { steps: steps.slice(0, 3), tool_calls: [] } },
      { case_id: "plain", status: "workflow_failed", error: "plain failure" },
    ] });
    await call("POST", `/api/runs/${r.id}/complete`, {});
  }
  // ---- script version page (script.spec.mjs) ----
  // rubric v2 and v3: multi-line sources, one line of untrusted markup; v3 on a new `canary`
  // judge channel. No channel a bench judges with moves, so no existing run changes.
  const rubricV2 = [
    "# rubric v2: stricter on refunds",
    "def judge(case, output):",
    "    accuracy = grade(\"accuracy\", output, case.expected_output)",
    "    tone = grade(\"tone\", output)",
    "    # <script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">",
    "    if \"refund\" in output and accuracy < 0.5:",
    "        return Score(0, reason=\"wrong refund\")",
    "    return Score((accuracy + tone) / 2)",
    "",
  ].join("\n");
  await call("POST", "/api/scripts/judge/rubric/versions", {
    source: rubricV2, language: "python", label: "stricter on refunds", published_by: "maria@example.com",
  });
  await call("POST", "/api/scripts/judge/rubric/versions", {
    source: rubricV2.replace("# rubric v2: stricter on refunds", "# rubric v3: calibrated tone").replace("(accuracy + tone) / 2", "0.7 * accuracy + 0.3 * tone"),
    language: "python", label: "calibrated tone", published_by: "lee@example.com", channels: ["canary"],
  });
  // ---- end of script version page ----
  // --- compare page (compare.spec.mjs): bench "cmp", 30 cases; run a (production) scores all
  // 0.8; run b (canary) regresses c00–c09 to 0.3 (pass → fail), improves c10–c19 to 0.9, keeps
  // c20–c27, lacks c28 and alone has c29; run c (staging) for the N-way view.
  await call("PUT", "/api/benches/cmp", { workflow: "support-bot", judge: "rubric" });
  const cmpCases = [];
  for (let i = 0; i < 30; i++) {
    const id = `c${String(i).padStart(2, "0")}`;
    cmpCases.push({ id, name: `Compare case ${i}`, expected_output: `The refund for order ${i} is approved within five days.` });
  }
  await call("PUT", "/api/benches/cmp/cases", { cases: cmpCases });
  const cmpRun = async (channel, pick) => {
    const r = await call("POST", "/api/runs", { bench: "cmp", channel, triggered_by: "e2e" });
    const results = [];
    for (let i = 0; i < 30; i++) {
      const x = pick(i);
      if (x) results.push({
        case_id: `c${String(i).padStart(2, "0")}`, status: "ok", headline_score: x.score, output: x.output, cost_usd: x.cost,
        dimension_scores: { accuracy: x.score, tone: 0.5 },
      });
    }
    await call("POST", `/api/runs/${r.id}/results`, { results });
    await call("POST", `/api/runs/${r.id}/complete`, {});
    return r.id;
  };
  const good = (i) => `The refund for order ${i} is approved within five days.`;
  await cmpRun("production", (i) => (i === 29 ? null : { score: 0.8, output: good(i), cost: 0.01 }));
  await cmpRun("canary", (i) => {
    if (i === 28) return null;
    if (i < 10) return { score: 0.3, output: `The refund for order ${i} is denied <b>today</b>.`, cost: 0.012 };
    if (i < 20) return { score: 0.9, output: good(i), cost: 0.012 };
    return { score: 0.8, output: good(i), cost: 0.012 };
  });
  await cmpRun("staging", (i) => ({ score: i === 5 ? 0.1 : 0.8, output: good(i), cost: 0.01 }));
  // --- analysis.spec.mjs: bench "flaky", 4 cases. Three production runs on one workflow
  // version, where f1 passes, fails, passes (flaky); then canary (another workflow version)
  // regresses f1 and f2 and improves f4.
  await call("PUT", "/api/benches/flaky", { workflow: "support-bot", judge: "rubric" });
  await call("PUT", "/api/benches/flaky/cases", { cases: ["f1", "f2", "f3", "f4"].map((id) => ({ id, name: `Flaky case ${id}` })) });
  const flakyRun = async (channel, scores) => {
    const r = await call("POST", "/api/runs", { bench: "flaky", channel, triggered_by: "e2e" });
    const results = Object.entries(scores).map(([case_id, headline_score]) => ({ case_id, status: "ok", headline_score }));
    await call("POST", `/api/runs/${r.id}/results`, { results });
    await call("POST", `/api/runs/${r.id}/complete`, {});
  };
  await flakyRun("production", { f1: 0.9, f2: 0.9, f3: 0.9, f4: 0.2 });
  await flakyRun("production", { f1: 0.2, f2: 0.9, f3: 0.9, f4: 0.2 });
  await flakyRun("production", { f1: 0.9, f2: 0.9, f3: 0.9, f4: 0.2 });
  await flakyRun("canary", { f1: 0.2, f2: 0.2, f3: 0.9, f4: 0.9 });
  process.env.ASSAY_E2E_TOKEN = token;
}
