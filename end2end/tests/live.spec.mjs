import { test, expect } from "@playwright/test";

// Live runs (issue 9): pages of running runs follow one event stream and update without a
// reload; finished pages open none. Each test makes its own run on the seeded bench and deletes
// it afterwards, so the other specs' counts never see it.

const token = () => process.env.ASSAY_E2E_TOKEN;
const made = [];

async function call(request, method, path, data) {
  const res = await request.fetch(path, { method, data, headers: { authorization: `Bearer ${token()}` } });
  expect(res.ok(), `${method} ${path}: ${res.status()}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}

async function newRun(request) {
  const run = await call(request, "POST", "/api/runs", { bench: "support-refunds", channel: "production", triggered_by: "live-e2e" });
  made.push(run.id);
  return run.id;
}

/// Requests the page makes to the event routes.
function streams(page) {
  const seen = [];
  page.on("request", (r) => { if (/\/api\/(events|runs\/\d+\/events)/.test(r.url())) seen.push(r.url()); });
  return seen;
}

test.afterAll(async ({ request }) => {
  for (const id of made) await call(request, "DELETE", `/api/runs/${id}`);
});

test.describe("live runs", () => {
  test("a run page receives results posted after it loaded, without navigating, and settles when the run ends", async ({ page, request }) => {
    const id = await newRun(request);
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    const opened = streams(page);
    await page.goto(`/runs/${id}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("live-mark")).toBeVisible();
    expect(opened).toEqual([expect.stringContaining(`/api/events?runs=${id}`)]);
    await expect(page.getByTestId("run-status")).toHaveText("pending");
    await expect(page.getByTestId("progress-text")).toHaveText("0 results in · 0 of 3 cases");
    await expect(page.getByTestId("results-empty")).toBeVisible();
    await page.evaluate(() => { window.__marker = "same page"; });

    await call(request, "POST", `/api/runs/${id}/results`, { results: [
      { case_id: "r2", status: "ok", headline_score: 0.9, duration_ms: 700, output: "live <b>answer</b>" },
    ] });
    const rows = page.getByTestId("result-row");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("live <b>answer</b>");
    await expect(page.getByTestId("run-status")).toHaveText("running");
    await expect(page.getByTestId("progress-text")).toHaveText("1 result in · 1 of 3 cases");
    const card = (label) => page.getByTestId("run-stats").locator(".card", { hasText: label }).locator(".value");
    await expect(card("Passed")).toHaveText("1");
    await expect(card("Missing")).toHaveText("2");
    await expect(page.getByTestId("status-breakdown")).toContainText("ok 1");

    // A second batch lands where the table's order puts it (by case: r1 before r2).
    await call(request, "POST", `/api/runs/${id}/results`, { results: [
      { case_id: "r1", status: "workflow_failed", error: "timeout" },
    ] });
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("workflow_failed");
    await expect(page.getByTestId("progress-text")).toHaveText("2 results in · 2 of 3 cases");
    await expect(card("Errored")).toHaveText("1");

    await call(request, "POST", `/api/runs/${id}/complete`, {});
    await expect(page.getByTestId("run-status")).toHaveText("completed");
    await expect(page.getByTestId("live-progress")).toHaveCount(0);
    await expect(page.getByTestId("live-mark")).toHaveCount(0);
    await expect(page.getByTestId("score-histogram")).toBeVisible();
    await expect(card("Missing")).toHaveText("1");
    expect(await page.evaluate(() => window.__marker)).toBe("same page");
    expect(errors).toEqual([]);

    // Without JavaScript a reload shows the truth: the server renders the finished run.
    const html = await (await request.get(`/runs/${id}`)).text();
    expect(html).toContain("workflow_failed");
    expect(html).not.toContain('data-testid="live-progress"');
  });

  test("a finished run's page opens no stream", async ({ page, request }) => {
    const res = await request.get("/api/runs?bench=traces");
    const done = (await res.json()).runs[0].id;
    const opened = streams(page);
    await page.goto(`/runs/${done}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("run-stats")).toBeVisible();
    await page.waitForTimeout(300);
    expect(opened).toEqual([]);
    await expect(page.getByTestId("live-mark")).toHaveCount(0);
  });

  test("/runs shows the progress of running rows through one stream", async ({ page, request }) => {
    const id = await newRun(request);
    const opened = streams(page);
    await page.goto("/runs?triggered_by=live-e2e");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("runs-live")).toBeVisible();
    expect(opened).toEqual([expect.stringContaining(`/api/events?runs=${id}`)]);
    const row = page.getByTestId("run-row").filter({ has: page.getByRole("link", { name: `#${id}` }) });
    await expect(row.locator(".badge").first()).toHaveText("pending");
    await expect(row.locator("td:nth-child(8)")).toHaveText("0 / 3");
    await row.getByLabel(`pick run #${id}`).check();

    await call(request, "POST", `/api/runs/${id}/results`, { results: [
      { case_id: "r1", status: "ok", headline_score: 0.8 }, { case_id: "r3", status: "cached", headline_score: 0.6 },
    ] });
    await expect(row.locator(".badge").first()).toHaveText("running");
    await expect(row.locator("td:nth-child(8)")).toHaveText("2 / 3");
    await expect(row.locator(".bar")).toHaveAttribute("aria-label", "ok 1, cached 1, missing 1");
    await expect(row.getByLabel(`pick run #${id}`)).toBeChecked();

    await call(request, "POST", `/api/runs/${id}/cancel`, {});
    await expect(row.locator(".badge").first()).toHaveText("canceled");
    // With no running row left the page closes its stream.
    await expect(page.getByTestId("runs-live")).toHaveCount(0);

    // A page of finished runs opens none.
    const before = opened.length;
    await page.goto("/runs?status=completed");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("run-row").first()).toBeVisible();
    await page.waitForTimeout(300);
    expect(opened.length).toBe(before);
  });
});
