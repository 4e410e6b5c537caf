import { test, expect } from "@playwright/test";

function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

test.describe("bench page", () => {
  test("renders channels, trend charts, compare links, runs and cases on the server", async ({ request }) => {
    const runs = (await (await request.get("/api/runs?bench=traces")).json()).runs;
    const res = await request.get("/benches/traces");
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="bench-header"');
    expect((html.match(/<svg class="chart"/g) || []).length).toBe(2);
    // A living link: the compare page resolves each channel's latest completed full run.
    expect(html).toContain('href="/compare?bench=traces&amp;x=production&amp;y=canary"');
    expect(runs.some((r) => r.channel === "canary")).toBe(true);
    expect(html).toContain("/scripts/judge/trace-judge/v/1");
  });

  test("the tag filter and the trend values work after hydration", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/benches/traces");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await page.evaluate(() => { window.__marker = 3; });
    await expect(page.getByTestId("trend-chart")).toHaveCount(2);
    await expect(page.getByTestId("bench-runs").locator("tbody tr")).toHaveCount(2);
    await expect(page.getByTestId("workflow-channels")).toContainText("production");
    const cases = page.getByTestId("bench-cases").locator("tbody tr");
    await expect(cases).toHaveCount(2);
    await page.getByRole("navigation", { name: "Filter cases by tag" }).getByRole("link", { name: "odd (1)" }).click();
    await expect(page).toHaveURL(/tag=odd/);
    await expect(cases).toHaveCount(1);
    await expect(cases.first()).toContainText("odd/id é #1");
    // Exact values of a chart are one click away.
    const canary = page.getByTestId("trend-chart").filter({ hasText: "canary" });
    await canary.getByText(/values/).click();
    await expect(canary.locator("table")).toContainText("0.400");
    expect(await page.evaluate(() => window.__marker)).toBe(3);
    expect(errors).toEqual([]);
  });

  test("cases page through a big bench, and unknown benches answer 404", async ({ page, request }) => {
    await page.goto("/benches/paging");
    const cases = page.getByTestId("bench-cases").locator("tbody tr");
    await expect(cases).toHaveCount(100);
    await page.getByTestId("cases-next").click();
    await expect(page).toHaveURL(/after=p099/);
    await expect(cases).toHaveCount(50);
    await expect(cases.first()).toContainText("p100");
    expect((await request.get("/benches/no-such-bench")).status()).toBe(404);
  });

  test("home links each bench to its page with a trend sparkline", async ({ page }) => {
    await page.goto("/");
    const row = page.getByTestId("bench-table").getByRole("row").filter({ hasText: "traces" });
    await expect(row.getByTestId("bench-trend").locator("svg.chart")).toHaveCount(1);
    // Two clicks to the regressions: production vs canary from the home page.
    await expect(row.getByRole("link", { name: "production vs canary" })).toHaveAttribute("href", /^\/compare\?a=\d+&b=\d+$/);
    await row.getByRole("link", { name: "traces" }).click();
    await expect(page).toHaveURL(/\/benches\/traces$/);
    await expect(page.getByTestId("bench-header")).toContainText("Agent traces");
  });
});
