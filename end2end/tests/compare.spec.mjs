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

  test("a bad parameter is shown, named, never silently replaced by the default", async ({ page, request }) => {
    const { a, b, c } = await cmpRuns(request);
    for (const [query, field, message] of [
      [`a=${a}&b=${b}&epsilon=abc`, "epsilon", "'abc' is not a number"],
      [`a=${a}&b=${b}&epsilon=-1`, "epsilon", "must be a finite number ≥ 0"],
      [`a=${a}&b=${b}&flag=worse`, "flag", "unknown flag 'worse'"],
      [`runs=${a},${b},${c}&epsilon=1e400`, "epsilon", "must be a finite number ≥ 0, not inf"],
    ]) {
      // The API answers 422 naming the field; the page says the same, with the same status.
      const api = query.startsWith("runs=") ? `/api/compare?${query}` : `/api/runs/${a}/compare/${b}?${query.split("&").slice(2).join("&")}`;
      if (field === "epsilon") expect((await request.get(api)).status()).toBe(422);
      const res = await page.goto(`/compare?${query}`);
      expect(res.status()).toBe(422);
      const problem = page.getByTestId("compare-problem");
      await expect(problem).toContainText(`${field}: `);
      await expect(problem).toContainText(message);
      await expect(page.getByRole("heading", { name: "Cannot compare" })).toBeVisible();
      await expect(page.getByTestId("compare-summary")).toHaveCount(0);
    }
    // A good epsilon is used, and kept in the links.
    await page.goto(`/compare?a=${a}&b=${b}&epsilon=0.6`);
    await expect(page.getByTestId("flag-unchanged")).toContainText("28");
    await expect(page.getByTestId("export-json")).toHaveAttribute("href", `/api/runs/${a}/compare/${b}?epsilon=0.6`);
  });

  test("dimension deltas of the default basis are the runs' own means, and say so", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    const report = await (await request.get(`/api/runs/${a}/compare/${b}`)).json();
    expect(report.aggregate.dimension_basis).toBe("runs");
    expect(report.aggregate.dimension_deltas.map((d) => d.n)).toEqual([0, 0]);
    await page.goto(`/compare?a=${a}&b=${b}`);
    const dims = page.getByTestId("dimension-deltas");
    await expect(dims.locator("svg.chart")).toHaveCount(1);
    await expect(dims).not.toContainText("No dimension scored in both runs");
    await expect(dims.getByTestId("dimension-basis")).toContainText("Each run's own mean");
    await dims.getByText("values").click();
    // accuracy: a 0.8 on 29 cases; b (10 × 0.3, 10 × 0.9, 9 × 0.8) / 29 = 0.662.
    const accuracy = dims.locator("tr").filter({ hasText: "accuracy" });
    await expect(accuracy).toContainText("0.800");
    await expect(accuracy).toContainText("0.662");
    await expect(accuracy).toContainText("−0.138");
    await expect(accuracy).toContainText("29 / 29");
  });

  test("the word diffs read as each output, and a → b shows both sides", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    await page.goto(`/compare?a=${a}&b=${b}&flag=regressed&open=c03`);
    const diff = page.getByTestId("case-diff");
    await expect(diff).toBeVisible();
    // Output b against the expected: b's own text, its insertions marked, what it lacks a gap.
    const outB = page.getByTestId("diff-b").getByTestId("word-diff");
    await expect(outB.locator("ins").first()).toContainText("denied");
    await expect(outB).not.toContainText("approved");
    await expect(outB.locator("del.gap").first()).toHaveAttribute("title", /approved/);
    const reads = await outB.evaluate((el) => [...el.childNodes].filter((n) => !(n.matches && n.matches("del.gap"))).map((n) => n.textContent).join(""));
    expect(reads).toBe("The refund for order 3 is denied <b>today</b>.");
    // Output a equals the expected: nothing marked.
    await expect(page.getByTestId("diff-a").locator("ins, del")).toHaveCount(0);
    // a → b: both sides inline.
    await expect(page.locator(".diff-ab del").first()).toContainText("approved");
    await expect(page.locator(".diff-ab del.gap")).toHaveCount(0);
    await expect(page.locator(".diff-ab ins").first()).toContainText("denied");
  });

  test("runs picked on the run list open with the oldest as baseline", async ({ page, request }) => {
    const { a, b } = await cmpRuns(request);
    await page.goto(`/compare?pick=${b}&pick=${a}`);
    await expect(page.getByTestId("compare-header")).toContainText(`Compare #${a} → #${b}`);
  });
});
