import { test, expect } from "@playwright/test";

// Bench "flaky" (global-setup.mjs): production runs where f1 flips, then canary on another
// workflow version regressing f1 and f2 and improving f4.
async function flakyRuns(request) {
  const runs = (await (await request.get("/api/runs?bench=flaky")).json()).runs;
  const latest = (c) => runs.filter((r) => r.channel === c).sort((a, b) => b.id - a.id)[0].id;
  return { production: latest("production"), canary: latest("canary") };
}

const row = (page, label) => page.getByTestId("compare-row").filter({ hasText: label });

test.describe("flaky cases, power and the living channel link", () => {
  test("the channel link resolves the latest runs, marks flaky regressions and sizes a target", async ({ page, request }) => {
    const { production, canary } = await flakyRuns(request);
    await page.goto("/compare?bench=flaky&x=production&y=canary");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("living-link")).toContainText(`#${production} and #${canary}`);
    await expect(page.getByTestId("flaky-summary")).toContainText("1 of 2 regressions and 0 of 1 improvements are known-flaky");
    await expect(row(page, "Flaky case f1").getByTestId("flaky-badge")).toBeVisible();
    await expect(row(page, "Flaky case f2").getByTestId("flaky-badge")).toHaveCount(0);
    await expect(page.getByTestId("min-detectable")).toContainText("±");

    await page.getByTestId("target-delta").fill("0.5");
    await page.getByRole("button", { name: "Size" }).click();
    await expect(page).toHaveURL(/bench=flaky&x=production&y=canary.*target_delta=0\.5/);
    await expect(page.getByTestId("cases-needed")).toContainText(/A mean delta of 0\.5 needs \d+ cases/);

    await page.getByTestId("swap").click();
    await expect(page).toHaveURL(/x=canary&y=production/);
    await expect(page.getByTestId("living-link")).toContainText(`#${canary} and #${production}`);
    await page.getByTestId("pinned-link").click();
    await expect(page).toHaveURL(new RegExp(`a=${canary}&b=${production}`));
    await expect(page.getByTestId("living-link")).toHaveCount(0);
  });

  test("the bench page picks any two channels", async ({ page }) => {
    await page.goto("/benches/flaky");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    const pick = page.getByTestId("channel-pick");
    await pick.getByLabel("baseline channel").selectOption("canary");
    await pick.getByLabel("compared channel").selectOption("production");
    await pick.getByRole("button", { name: "Compare" }).click();
    await expect(page).toHaveURL(/\/compare\?bench=flaky&x=canary&y=production/);
    await expect(page.getByTestId("compare-header")).toBeVisible();
  });

  test("the case page shows the verdict history as a strip and the flaky mark", async ({ page, request }) => {
    const { production } = await flakyRuns(request);
    const res = await request.get(`/runs/${production}/cases/f1`);
    expect(res.status()).toBe(200);
    expect(await res.text()).toContain('data-testid="verdict-strip"');
    await page.goto(`/runs/${production}/cases/f1`);
    await expect(page.getByTestId("case-header").getByTestId("flaky-badge")).toBeVisible();
    await expect(page.getByTestId("flaky-facts")).toContainText("2 flips over 3 runs");
    const cells = page.getByTestId("verdict-strip").locator("li");
    await expect(cells).toHaveCount(4);
    // Oldest first: pass, fail, pass on production, then canary's fail.
    expect(await cells.evaluateAll((els) => els.map((e) => e.className.split(" ")[0]))).toEqual(["v-pass", "v-fail", "v-pass", "v-fail"]);
    await page.goto(`/runs/${production}/cases/f3`);
    await expect(page.getByTestId("case-header")).toBeVisible();
    await expect(page.getByTestId("case-header").getByTestId("flaky-badge")).toHaveCount(0);
  });
});
