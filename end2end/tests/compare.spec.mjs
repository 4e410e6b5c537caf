import { test, expect } from "@playwright/test";

async function cmpRuns(request) {
  const runs = (await (await request.get("/api/runs?bench=cmp")).json()).runs;
  const id = (c) => runs.find((r) => r.channel === c).id;
  return { a: id("production"), b: id("canary"), c: id("staging") };
}

function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

const rows = (page) => page.getByTestId("compare-row");

test.describe("compare page", () => {
  test("renders the summary, significance and flag counts on the server", async ({ request }) => {
    const { a, b } = await cmpRuns(request);
    const res = await request.get(`/compare?a=${a}&b=${b}`);
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="compare-summary"');
    expect((html.match(/data-testid="compare-row"/g) || []).length).toBe(30);
    expect(html).toContain("−0.143");
    expect(html).toContain("McNemar p = 0.0020 (10 pass→fail, 0 fail→pass)");
    expect(html).toContain("significant at 95%");
    expect((await request.get(`/compare?a=${a}&b=999999`)).status()).toBe(404);
  });

  test("flag filters, word diffs and the sort live in the URL and stay client-side", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    const errors = watchErrors(page);
    await page.goto(`/compare?a=${a}&b=${b}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await page.evaluate(() => { window.__marker = 5; });
    await expect(page.getByTestId("flag-regressed")).toContainText("10");
    await expect(page.getByTestId("flag-missing_a")).toContainText("1");
    // Worst first: the ten regressions lead.
    await expect(rows(page).first()).toContainText("regressed");
    await page.getByTestId("flag-regressed").click();
    await expect(page).toHaveURL(/flag=regressed/);
    await expect(rows(page)).toHaveCount(10);
    for (const t of await rows(page).locator("td:nth-child(2)").allTextContents()) expect(t).toBe("regressed");
    await expect(page.getByTestId("flag-regressed")).toHaveAttribute("aria-current", "page");

    // Expanding a row computes its word diff.
    await rows(page).first().getByTestId("diff-toggle").click();
    await expect(page).toHaveURL(/open=c0\d/);
    const diff = page.getByTestId("case-diff");
    await expect(diff).toContainText("Expected");
    await expect(diff.locator("ins").first()).toBeVisible();
    await expect(page.locator(".diff-ab del").first()).toContainText("approved");
    await expect(page.locator(".diff-ab ins").first()).toContainText("denied");
    // Untrusted output stays text.
    await expect(page.locator(".diff-ab")).toContainText("<b>today</b>");
    await page.goBack();
    await expect(page).not.toHaveURL(/open=/);
    await expect(page.getByTestId("case-diff")).toHaveCount(0);

    await page.getByTestId("flag-improved").click();
    await expect(rows(page)).toHaveCount(10);
    await page.getByRole("link", { name: /^Δ/ }).click();
    await expect(page).toHaveURL(/sort=-delta/);
    expect(await page.evaluate(() => window.__marker)).toBe(5);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  test("a deep link restores the flag, and the cases link to their traces in both runs", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    await page.goto(`/compare?a=${a}&b=${b}&flag=missing_b`);
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toContainText("Compare case 28");
    await expect(rows(page).first().locator("td:nth-child(3) a")).toHaveAttribute("href", `/runs/${a}/cases/c28`);
    await expect(rows(page).first().locator("td:nth-child(4)")).toHaveText("absent");
    await expect(page.getByTestId("transitions")).toContainText("10");
    const csv = await request.get(`/api/runs/${a}/compare/${b}?format=csv`);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect((await csv.text()).trim().split("\n").length).toBe(31);
  });

  test("N-way: a score matrix against the first run, filtered by flag", async ({ page, request }) => {
    const { a, b, c } = await cmpRuns(request);
    const errors = watchErrors(page);
    await page.goto(`/compare?runs=${a},${b},${c}`);
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await expect(page.getByTestId("nway-row")).toHaveCount(30);
    await expect(page.getByTestId("nway-summary")).toContainText("−0.143");
    await page.getByTestId("flag-regressed").click();
    await expect(page).toHaveURL(/flag=regressed/);
    // c00–c09 regress in b, and c05 in c too: ten rows.
    await expect(page.getByTestId("nway-row")).toHaveCount(10);
    for (const row of await page.getByTestId("nway-row").all()) {
      expect(await row.locator("td.f-regressed").count()).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
  });

  test("runs picked on the run list open with the oldest as baseline", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    await page.goto(`/compare?pick=${b}&pick=${a}`);
    await expect(page.getByTestId("compare-header")).toContainText(`Compare #${a} → #${b}`);
  });
});
