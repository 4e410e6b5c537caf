import { test, expect } from "@playwright/test";

const rows = (page) => page.getByTestId("result-row");

async function pagingRun(request) {
  const res = await request.get("/api/runs?bench=paging");
  return (await res.json()).runs[0].id;
}

test.describe("run page", () => {
  test("header, stats and the first page of results render on the server", async ({ request }) => {
    const id = await pagingRun(request);
    const res = await request.get(`/runs/${id}`);
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="run-header"');
    expect(html).toContain("/scripts/judge/rubric/v/1");
    expect(html).toContain("&lt;img src=x onerror=window.__pwned=1&gt; notes stay text");
    expect(html).not.toContain("<script>window.__pwned");
    expect((html.match(/data-testid="result-row"/g) || []).length).toBe(100);
  });

  test("filters, sorts and pages live in the URL and stay client-side", async ({ page, request }) => {
    const id = await pagingRun(request);
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`/runs/${id}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("run-notes")).toHaveText("<img src=x onerror=window.__pwned=1> notes stay text");
    await expect(page.getByTestId("judge-link")).toHaveAttribute("href", "/scripts/judge/rubric/v/1");
    await expect(rows(page)).toHaveCount(100);
    await page.evaluate(() => { window.__marker = 7; });

    await page.getByRole("link", { name: "Next »" }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(rows(page)).toHaveCount(50);

    await page.getByLabel("Status").selectOption("workflow_failed");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/status=workflow_failed/);
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(rows(page)).toHaveCount(15);
    for (const t of await rows(page).locator("td:nth-child(2)").allTextContents()) expect(t).toBe("workflow_failed");

    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Verdict").selectOption("pass");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/verdict=pass/);
    await page.getByRole("link", { name: "Score" }).click();
    await expect(page).toHaveURL(/sort=score/);
    // The URL changes first; the table follows when the new page arrives.
    const scores = async () => (await rows(page).locator("td:nth-child(4)").allTextContents()).map(Number);
    const ordered = (xs, desc) => xs.every((v, i) => i === 0 || (desc ? xs[i - 1] >= v : xs[i - 1] <= v));
    await expect.poll(async () => { const s = await scores(); return s.length > 10 && ordered(s, false) && s[0] < s[s.length - 1]; }).toBe(true);
    expect(Math.min(...(await scores()))).toBeGreaterThanOrEqual(0.5);
    await page.getByRole("link", { name: /Score/ }).click();
    await expect(page).toHaveURL(/sort=-score/);
    await expect.poll(async () => { const s = await scores(); return s.length > 10 && ordered(s, true) && s[0] > s[s.length - 1]; }).toBe(true);
    expect(await page.evaluate(() => window.__marker)).toBe(7);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  test("a deep link restores the table state", async ({ page, request }) => {
    const id = await pagingRun(request);
    await page.goto(`/runs/${id}?verdict=fail&tag=tenth&sort=-latency`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByLabel("Verdict")).toHaveValue("fail");
    await expect(page.getByLabel("Tag")).toHaveValue("tenth");
    const n = await rows(page).count();
    expect(n).toBeGreaterThan(0);
    for (const t of await rows(page).locator("td:nth-child(3)").allTextContents()) expect(t).toBe("fail");
    const lat = await rows(page).locator("td:nth-child(5)").allTextContents();
    const ms = lat.map((t) => (t.endsWith(" ms") ? Number(t.slice(0, -3)) : Number(t.slice(0, -2)) * 1000));
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
  });

  test("unknown runs answer a real 404", async ({ page }) => {
    for (const path of ["/runs/999999", "/runs/not-a-number"]) {
      const res = await page.goto(path);
      expect(res.status()).toBe(404);
      await expect(page.getByRole("heading", { name: "Run not found" })).toBeVisible();
    }
  });

  test("charts: dimension means and the score distribution, with their values, and the status legend", async ({ page, request }) => {
    const id = await pagingRun(request);
    const res = await request.get(`/runs/${id}`);
    const html = await res.text();
    expect((html.match(/<svg class="chart"/g) || []).length).toBe(2);
    await page.goto(`/runs/${id}`);
    await expect(page.getByTestId("status-breakdown")).toContainText("workflow_failed 15");
    const dims = page.getByTestId("dimension-chart");
    await expect(dims.locator("svg.chart")).toHaveAttribute("aria-label", "Mean score per dimension");
    await dims.getByText("values").click();
    await expect(dims.getByTestId("dimension-table")).toContainText("accuracy");
    await expect(dims.getByTestId("dimension-table")).toContainText("0.500");
    const hist = page.getByTestId("score-histogram");
    await hist.getByText("values").click();
    // 105 results have a score (ok and cached): the buckets add up to them.
    const counts = (await hist.locator("tbody td.num").allTextContents()).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(105);
  });
});
