// Search and exports in the browser: a search's snippet highlighted with <mark> around its
// matches and stored markup shown as text; hostile search text; the run page's export links
// (with the page's filters) and the N-way page's, downloaded for real.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";

let runId;

test.beforeAll(async ({ request }) => {
  const call = async (method, path, data) => {
    const r = await request.fetch(path, { method, data, headers: { authorization: `Bearer ${process.env.ASSAY_E2E_TOKEN}` } });
    expect(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`).toBeTruthy();
    return r.json();
  };
  await call("PUT", "/api/benches/search-e2e", { workflow: "support-bot", judge: "rubric" });
  await call("PUT", "/api/benches/search-e2e/cases", { cases: [
    { id: "s1", name: "Late parcel" }, { id: "s2", name: "Refund request" }, { id: "s3", name: "Login help" },
  ] });
  const run = await call("POST", "/api/runs", { bench: "search-e2e", channel: "production", triggered_by: "e2e" });
  await call("POST", `/api/runs/${run.id}/results`, { results: [
    { case_id: "s1", status: "ok", headline_score: 0.8, output: "The parcel left the depot <img src=x onerror=window.__pwned=1> yesterday" },
    { case_id: "s2", status: "ok", headline_score: 0.4, output: "Refund approved",
      scorer_results: [{ scorer_name: "judge", score: 0.4, reason: "The <b>depot</b> detail is missing" }] },
    { case_id: "s3", status: "workflow_failed", error: "Upstream <script>window.__pwned=1</script> timeout" },
  ] });
  await call("POST", `/api/runs/${run.id}/complete`, {});
  runId = run.id;
});

const rows = (page) => page.getByTestId("result-row");

test.describe("search", () => {
  test("the matching snippet is highlighted, its stored markup shown as text", async ({ page }) => {
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`/runs/${runId}?q=depot`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(rows(page)).toHaveCount(2);
    const snippets = page.getByTestId("snippet");
    await expect(snippets.nth(0)).toHaveAttribute("data-field", "output");
    await expect(snippets.nth(0)).toContainText("The parcel left the depot <img src=x onerror=window.__pwned=1> yesterday");
    await expect(snippets.nth(0).locator("mark")).toHaveText(["depot"]);
    await expect(snippets.nth(1)).toHaveAttribute("data-field", "reason");
    await expect(snippets.nth(1)).toContainText("The <b>depot</b> detail is missing");
    await expect(snippets.nth(1).locator("mark")).toHaveText(["depot"]);
    await expect(page.getByTestId("results-table").locator("img, b, script")).toHaveCount(0);

    // A new search from the form, client-side: the error's snippet.
    await page.getByLabel("Search").fill("TIMEOUT");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/q=TIMEOUT/);
    await expect(rows(page)).toHaveCount(1);
    await expect(snippets.first()).toHaveAttribute("data-field", "error");
    await expect(snippets.first().locator("mark")).toHaveText(["timeout"]);
    await expect(snippets.first()).toContainText("<script>window.__pwned=1</script>");

    // Query syntax is only text: quotes, stars, a colon and an open parenthesis still find the word.
    await page.getByLabel("Search").fill("\"(depot*: -");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(rows(page)).toHaveCount(2);
    await expect(page.getByTestId("results-empty")).toHaveCount(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  test("no search, no snippet: the preview cell as before", async ({ page }) => {
    await page.goto(`/runs/${runId}`);
    await expect(rows(page)).toHaveCount(3);
    await expect(page.getByTestId("snippet")).toHaveCount(0);
    await expect(rows(page).nth(2)).toContainText("Upstream <script>window.__pwned=1</script> timeout");
  });
});

test.describe("exports", () => {
  test("the run page's links download its results with the page's filters", async ({ page }) => {
    await page.goto(`/runs/${runId}?status=ok`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    const csv = page.getByTestId("export-csv");
    await expect(csv).toHaveAttribute("href", `/api/runs/${runId}/results?format=csv&status=ok`);
    const [dl] = await Promise.all([page.waitForEvent("download"), csv.click()]);
    expect(dl.suggestedFilename()).toBe(`run-${runId}-results.csv`);
    const lines = readFileSync(await dl.path(), "utf8").split("\r\n").filter((l) => l);
    expect(lines[0]).toMatch(/^id,run_id,case_id,case_name,epoch,status/);
    expect(lines.slice(1).map((l) => l.split(",")[2])).toEqual(["s1", "s2"]);

    // After a client-side filter change the links follow the URL.
    await page.getByLabel("Status").selectOption("workflow_failed");
    await page.getByRole("button", { name: "Apply" }).click();
    const jsonl = page.getByTestId("export-jsonl");
    await expect(jsonl).toHaveAttribute("href", `/api/runs/${runId}/results?format=jsonl&status=workflow_failed`);
    const [dl2] = await Promise.all([page.waitForEvent("download"), jsonl.click()]);
    expect(dl2.suggestedFilename()).toBe(`run-${runId}-results.jsonl`);
    const rowsOut = readFileSync(await dl2.path(), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rowsOut.map((r) => r.case_id)).toEqual(["s3"]);
    expect(rowsOut[0].error).toBe("Upstream <script>window.__pwned=1</script> timeout");
  });

  test("the N-way page's link downloads its matrix", async ({ page, request }) => {
    const runs = (await (await request.get("/api/runs?bench=cmp")).json()).runs.map((r) => r.id).sort((x, y) => x - y);
    const list = runs.join(",");
    await page.goto(`/compare?runs=${list}`);
    await expect(page.getByTestId("nway-row")).toHaveCount(30);
    const link = page.getByTestId("export-csv");
    await expect(link).toHaveAttribute("href", `/api/compare?format=csv&runs=${list}`);
    const [dl] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(dl.suggestedFilename()).toBe(`compare-${runs.join("-")}.csv`);
    const lines = readFileSync(await dl.path(), "utf8").split("\r\n").filter((l) => l);
    expect(lines[0].split(",").slice(0, 3)).toEqual(["case_id", "case_label", `run ${runs[0]} score`]);
    expect(lines).toHaveLength(31);
  });
});
