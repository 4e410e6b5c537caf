// Sign-in with `--auth required`: this spec starts a second server of the built binary on its
// own fresh SQLite file (the suite's main server stays `--auth open`), seeds it over the API
// with a write token, and signs in with a read token in Chromium.
import { test, expect } from "@playwright/test";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let server, base, reader, dir, call;

function startServer(bin, env) {
  const child = spawn(bin, ["serve", "--auth", "required", "--addr", "127.0.0.1:0"], {
    env, stdio: ["ignore", "ignore", "pipe"],
  });
  const listening = new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`assay did not start:\n${log}`)), 30_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`assay exited with ${code}:\n${log}`)));
  });
  return { child, listening };
}

test.beforeAll(async () => {
  const bin = process.env.ASSAY_BIN;
  if (!bin) throw new Error("ASSAY_BIN must name the built assay binary (make test sets it)");
  dir = mkdtempSync(join(tmpdir(), "assay-e2e-auth-"));
  const env = { ...process.env, DATABASE_URL: `sqlite://${join(dir, "auth.db")}`, RUST_LOG: "info,sqlx=warn" };
  for (const k of ["ASSAY_AUTH", "ASSAY_ADDR", "ASSAY_TRUST_PROXY_HEADER"]) delete env[k];
  const token = (name, scope) =>
    execFileSync(bin, ["token", "create", "--name", name, "--scope", scope], { env }).toString().trim().split("\n").pop();
  const writer = token("e2e-seed", "write");
  reader = token("ana-reader", "read");
  const started = startServer(bin, env);
  server = started.child;
  base = await started.listening;
  call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method, headers: { authorization: `Bearer ${writer}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  await call("POST", "/api/scripts/workflow/bot/versions", { source: "def run(): ...", channels: ["production", "canary"] });
  await call("POST", "/api/scripts/judge/rubric/versions", { source: "def judge(): ...", channels: ["production"] });
  await call("PUT", "/api/benches/locked-bench", { workflow: "bot", judge: "rubric" });
  await call("PUT", "/api/benches/locked-bench/cases", { cases: [{ id: "c1" }] });
  for (const [channel, by] of [["canary", "ana"], ["canary", "ci"], ["production", "ana"], ["canary", "ana"]]) {
    await call("POST", "/api/runs", { bench: "locked-bench", channel, triggered_by: by });
  }
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const deepLink = "/runs?channel=canary&triggered_by=ana";

test.describe("sign-in with --auth required", () => {
  test("a deep link while signed out lands on the sign-in page, without data", async ({ page, request }) => {
    const raw = await request.get(base + deepLink, { maxRedirects: 0 });
    expect(raw.status()).toBe(303);
    expect(raw.headers()["location"]).toBe(`/login?next=${encodeURIComponent(deepLink)}`);
    expect(await raw.text()).toBe("");
    await page.goto(base + deepLink);
    await expect(page).toHaveURL(`${base}/login?next=${encodeURIComponent(deepLink)}`);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expect(page.getByLabel("Token")).toBeVisible();
    await expect(page.getByTestId("run-row")).toHaveCount(0);
    expect(await page.content()).not.toContain("locked-bench");
  });

  test("a wrong token is refused with a message and no cookie", async ({ page, context }) => {
    await page.goto(`${base}/login?next=${encodeURIComponent(deepLink)}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await page.getByLabel("Token").fill("assay_not_a_token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("That token is unknown or revoked.");
    await expect(page).toHaveURL(`${base}/login?next=${encodeURIComponent(deepLink)}`);
    expect(await context.cookies()).toEqual([]);
  });

  test("signing in returns to the deep link with its filters, and Sign out ends it", async ({ page, context }) => {
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(base + deepLink);
    await page.getByLabel("Token").fill(reader);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(base + deepLink);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByLabel("Channel")).toHaveValue("canary");
    await expect(page.getByLabel("Triggered by")).toHaveValue("ana");
    await expect(page.getByTestId("run-row")).toHaveCount(2);
    const account = page.getByTestId("account");
    await expect(account).toContainText("Signed in as ana-reader");
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([["assay_session", true, "Lax", "/"]]);
    // Server functions work on the session: client-side navigation after hydration.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Benches" }).click();
    await expect(page.getByTestId("bench-table").getByRole("link", { name: "locked-bench", exact: true })).toBeVisible();
    expect(errors).toEqual([]);

    await account.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(`${base}/login`);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${base}/runs`);
    await expect(page).toHaveURL(`${base}/login?next=%2Fruns`);
    await expect(page.getByTestId("account")).toHaveCount(0);
  });

  test("signed in, a running run's page follows it through the session cookie", async ({ page }) => {
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    const run = await call("POST", "/api/runs", { bench: "locked-bench", channel: "production", triggered_by: "live-e2e" });
    const streams = [];
    page.on("response", (r) => { if (r.url().includes("/api/events")) streams.push(r.status()); });
    await page.goto(base + `/runs/${run.id}`);
    await page.getByLabel("Token").fill(reader);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(base + `/runs/${run.id}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    // The EventSource carries only the cookie (no token): the gate admits it as a read.
    await expect(page.getByTestId("live-mark")).toBeVisible();
    expect(streams).toEqual([200]);
    await call("POST", `/api/runs/${run.id}/results`, { results: [{ case_id: "c1", status: "ok", headline_score: 1 }] });
    await expect(page.getByTestId("result-row")).toHaveCount(1);
    await expect(page.getByTestId("run-status")).toHaveText("running");
    await call("POST", `/api/runs/${run.id}/complete`, {});
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(page.getByTestId("live-mark")).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});
