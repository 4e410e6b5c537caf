import { test, expect } from "@playwright/test";

// Seeded in global-setup.mjs: judge `rubric` v1 (one line, production, every run), v2 (a line of
// untrusted markup, no channel) and v3 (canary); workflow `support-bot` v1 and v2.
const V = (n) => `/scripts/judge/rubric/v/${n}`;
const hydrated = (page) => expect(page.locator("main[data-hydrated='true']")).toBeVisible();

function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

test.describe("script version page", () => {
  test("source, versions, channels and runs render on the server", async ({ request }) => {
    const res = await request.get(V(3));
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="script-header"');
    expect(html).toContain("calibrated tone");
    for (let n = 1; n <= 8; n++) expect(html).toContain(`<tr id="L${n}" class="line">`);
    expect(html).not.toContain('id="L9"');
    expect(html).toContain('href="#L8" rel="external"');
    // The version picker lists every version, each a link.
    for (const n of [1, 2, 3]) expect(html).toContain(`href="${V(n)}"`);
    expect(html).toContain(`href="${V(3)}?diff=2"`);
    // v1 is what every rubric-judged seeded run used: the newest 50 of 69, each a link.
    const v1 = await (await request.get(V(1))).text();
    expect((v1.match(/data-testid="version-run"/g) || []).length).toBe(50);
    expect(v1).toContain("Runs that used this version (69)");
    expect(v1).toContain('href="/runs/62"');
  });

  test("channels and runs show with their links after hydration", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(V(3));
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("rubric");
    await expect(page.getByRole("heading", { level: 1 })).toContainText("v3");
    await expect(page.getByTestId("content-hash")).toHaveText(/^[0-9a-f]{64}$/);
    const channels = page.getByTestId("channel");
    await expect(channels).toHaveCount(2);
    await expect(channels.filter({ hasText: "canary" })).toContainText("this version");
    await expect(channels.filter({ hasText: "production" }).getByRole("link", { name: "v1" })).toHaveAttribute("href", V(1));
    await expect(page.getByTestId("versions").getByRole("link", { name: "v3" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByTestId("runs-empty")).toBeVisible();

    await page.goto(V(1));
    await hydrated(page);
    const runs = page.getByTestId("version-run");
    await expect(runs).toHaveCount(50);
    await expect(runs.first().getByRole("link").first()).toHaveAttribute("href", "/runs/71");
    await expect(channels.filter({ hasText: "production" })).toContainText("this version");
    expect(errors).toEqual([]);
  });

  test("a deep link to a line lands on it and highlights it", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(`${V(2)}#L2`);
    const line = page.locator("#L2");
    await expect(line).toContainText("def judge(case, output):");
    expect(await line.evaluate((el) => el.matches(":target"))).toBe(true);
    const bg = (sel) => page.locator(sel).evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await bg("#L2")).not.toBe(await bg("#L1"));
    await expect(line).toBeInViewport();
    await hydrated(page);
    expect(await line.evaluate((el) => el.matches(":target"))).toBe(true);

    // A click on a line number moves the highlight, without a reload.
    await page.evaluate(() => { window.__marker = "line"; });
    await page.locator("#L5").getByRole("link", { name: "5" }).click();
    await expect(page).toHaveURL(/#L5$/);
    await expect.poll(() => page.locator("#L5").evaluate((el) => el.matches(":target"))).toBe(true);
    expect(await page.locator("#L2").evaluate((el) => el.matches(":target"))).toBe(false);
    expect(await page.evaluate(() => window.__marker)).toBe("line");
    expect(errors).toEqual([]);
  });

  test("a line is highlighted without JavaScript too", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const res = await page.goto(`${V(2)}#L7`);
    expect(res.status()).toBe(200);
    await expect(page.locator("#L7")).toContainText("wrong refund");
    expect(await page.locator("#L7").evaluate((el) => el.matches(":target"))).toBe(true);
    await context.close();
  });

  test("?diff= shows a unified diff with added and removed lines", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(`${V(3)}?diff=2`);
    await hydrated(page);
    const diff = page.getByTestId("diff");
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v2");
    await expect(page.getByTestId("diff-summary")).toContainText("+2");
    await expect(page.getByTestId("diff-summary")).toContainText("−2");
    const added = diff.locator("tr[data-kind='added']");
    const removed = diff.locator("tr[data-kind='removed']");
    await expect(added).toHaveCount(2);
    await expect(removed).toHaveCount(2);
    await expect(added.first().locator(".sign")).toHaveText("+");
    await expect(removed.first().locator(".sign")).toHaveText("-");
    await expect(removed.first()).toContainText("# rubric v2: stricter on refunds");
    await expect(added.first()).toContainText("# rubric v3: calibrated tone");
    await expect(diff.locator("tr.hunk-head").first()).toHaveText(/@@ -\d+(,\d+)? \+\d+(,\d+)? @@/);
    // Added and removed lines are coloured apart.
    const color = (loc) => loc.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await color(added.first())).not.toBe(await color(removed.first()));
    await expect(page.getByLabel("Diff against", { exact: true })).toHaveValue("2");

    await page.goto(`${V(2)}?diff=1`);
    await expect(page.getByTestId("diff").locator("tr[data-kind='added']")).toHaveCount(8);
    await expect(page.getByTestId("diff").locator("tr[data-kind='removed']")).toHaveCount(1);
    expect(errors).toEqual([]);
  });

  test("a diff against a version that does not exist says so", async ({ page }) => {
    for (const [q, text] of [["99", "There is no v99"], ["3", "is this version"], ["abc", "not a version number"]]) {
      const res = await page.goto(`${V(3)}?diff=${q}`);
      expect(res.status()).toBe(200);
      await expect(page.getByTestId("diff-message")).toContainText(text);
    }
  });

  test("versions and diffs switch client-side; back and forward restore them", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(`${V(3)}?diff=1`);
    await hydrated(page);
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v1");
    await page.evaluate(() => { window.__marker = 17; });

    // Another diff target from the version list.
    await page.getByRole("link", { name: "Diff against v2" }).click();
    await expect.poll(() => page.url()).toMatch(/\/v\/3\?diff=2$/);
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v2");
    await expect(page.getByLabel("Diff against", { exact: true })).toHaveValue("2");

    // Another one from the select.
    await page.getByLabel("Diff against", { exact: true }).selectOption("1");
    await page.getByRole("button", { name: "Show diff" }).click();
    await expect.poll(() => page.url()).toMatch(/\/v\/3\?diff=1$/);
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v1");

    // Another version.
    await page.getByTestId("versions").getByRole("link", { name: "v2", exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/\/v\/2$/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("v2");
    await expect(page.getByTestId("source")).toContainText("stricter on refunds");

    // The source tab and the diff's line numbers lead back to lines of the source.
    await page.goBack();
    await expect.poll(() => page.url()).toMatch(/\/v\/3\?diff=1$/);
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v1");
    await page.getByTestId("diff").locator("tr[data-kind='added'] td.new a").nth(3).click();
    await expect.poll(() => page.url()).toMatch(/\/v\/3#L4$/);
    await expect(page.locator("#L4")).toHaveClass(/\bhl\b/);
    await expect(page.locator("#L4")).toBeInViewport();
    await page.goBack();
    await expect(page.getByTestId("diff-summary")).toContainText("Changes from v1");
    await page.goForward();
    await expect(page.getByTestId("source")).toBeVisible();

    expect(await page.evaluate(() => window.__marker)).toBe(17);
    expect(errors).toEqual([]);
  });

  test("an untrusted source stays text", async ({ page, request }) => {
    const html = await (await request.get(V(2))).text();
    expect(html).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=");
    expect(html).not.toContain("<script>window.__pwned");
    expect(html).not.toContain("<img src=x");

    const errors = watchErrors(page);
    await page.goto(V(2));
    await hydrated(page);
    await expect(page.locator("#L5")).toContainText('# <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">');
    await expect(page.getByTestId("source").locator("img, script")).toHaveCount(0);
    await page.goto(`${V(3)}?diff=2`);
    await hydrated(page);
    await expect(page.getByTestId("diff")).toContainText("<script>window.__pwned=1</script>");
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  test("unknown kinds, scripts and versions answer a real 404", async ({ page }) => {
    for (const path of [V(99), V(0), V("abc"), "/scripts/judge/no-such-judge/v/1", "/scripts/bogus/rubric/v/1", "/scripts/workflow/rubric/v/1"]) {
      const res = await page.goto(path);
      expect(res.status(), path).toBe(404);
      await expect(page.getByRole("heading", { name: "Script version not found" })).toBeVisible();
    }
  });
});
