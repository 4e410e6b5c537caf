import { test, expect } from "@playwright/test";

const rows = (page) => page.getByTestId("run-row");

test.describe("run list", () => {
  test("renders on the server, newest first, with keyset pages", async ({ request }) => {
    const res = await request.get("/runs");
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="runs-table"');
    expect(html).toContain('href="/runs/67"');
    expect(html.indexOf('href="/runs/67"')).toBeLessThan(html.indexOf('href="/runs/66"'));
  });

  test("a deep link restores its filters and pages stay client-side", async ({ page }) => {
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto("/runs?channel=canary&triggered_by=ana");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByLabel("Channel")).toHaveValue("canary");
    await expect(page.getByLabel("Triggered by")).toHaveValue("ana");
    await expect(rows(page)).toHaveCount(10);
    for (const text of await rows(page).locator("td:nth-child(4)").allTextContents()) expect(text).toBe("canary");

    await page.evaluate(() => { window.__marker = "still here"; });
    await page.getByLabel("Channel").fill("staging");
    await page.getByLabel("Triggered by").fill("");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/channel=staging/);
    await expect(rows(page)).toHaveCount(21);
    for (const text of await rows(page).locator("td:nth-child(4)").allTextContents()) expect(text).toBe("staging");
    expect(await page.evaluate(() => window.__marker)).toBe("still here");

    await page.goBack();
    await expect(page).toHaveURL(/channel=canary/);
    await expect(rows(page)).toHaveCount(10);
    expect(errors).toEqual([]);
  });

  test("older pages follow the cursor without gaps", async ({ page }) => {
    await page.goto("/runs");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(rows(page)).toHaveCount(50);
    const first = await rows(page).locator("td:nth-child(2) a").allTextContents();
    await page.getByRole("link", { name: "Older »" }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(rows(page)).toHaveCount(21);
    const second = await rows(page).locator("td:nth-child(2) a").allTextContents();
    const ids = [...first, ...second].map((t) => Number(t.replace("#", "")));
    expect(new Set(ids).size).toBe(71);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    await expect(page.getByRole("link", { name: "« Newest" })).toBeVisible();
  });

  test("status, metadata and search filters; judge versions are links", async ({ page }) => {
    await page.goto("/runs?status=completed");
    await expect(rows(page)).toHaveCount(30);
    await page.goto("/runs?meta.branch=feat%2Fx&channel=production");
    await expect(rows(page)).toHaveCount(5);
    await page.goto("/runs?q=run%20number%2042");
    await expect(rows(page)).toHaveCount(1);
    const judge = rows(page).first().getByTestId("judge-link");
    await expect(judge).toHaveAttribute("href", "/scripts/judge/rubric/v/1");
    await page.goto("/runs?bench=nothing-here");
    await expect(page.getByTestId("runs-empty")).toBeVisible();
  });

  test("on a laptop the table fits the window, one line a run", async ({ page }) => {
    for (const width of [1280, 1400, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto("/runs");
      await expect(rows(page)).toHaveCount(50);
      // Nothing scrolls sideways, and the last columns are on screen.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${width} px`).toBeLessThanOrEqual(0);
      for (const name of ["Triggered", "Versions"]) {
        const box = await page.getByTestId("runs-table").getByRole("columnheader", { name }).boundingBox();
        expect(box.x + box.width, `${name} at ${width} px`).toBeLessThanOrEqual(width);
      }
      const heights = await rows(page).evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().height));
      expect(Math.max(...heights), `row height at ${width} px`).toBeLessThanOrEqual(40);
    }
  });

  test("ticking two runs leads to their comparison", async ({ page }) => {
    await page.goto("/runs?bench=traces");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(rows(page)).toHaveCount(2);
    const ids = (await rows(page).locator("td:nth-child(2) a").allTextContents()).map((t) => t.replace("#", ""));
    for (const id of ids) await page.getByLabel(`pick run #${id}`).check();
    await page.getByTestId("compare-picked").click();
    await expect(page).toHaveURL(new RegExp(`/compare\\?pick=${ids[0]}&pick=${ids[1]}`));
  });
});
