import { test, expect } from "@playwright/test";

test.describe("app shell", () => {
  test("renders on the server with navigation and the seeded bench", async ({ request }) => {
    const res = await request.get("/");
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('aria-label="Main"');
    expect(html).toContain("support-refunds");
  });

  test("hydrates without console errors and escapes untrusted text", async ({ page }) => {
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto("/");
    await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    const table = page.getByTestId("bench-table");
    await expect(table.getByRole("link", { name: "support-refunds", exact: true })).toBeVisible();
    await expect(table.getByRole("cell", { name: /^support-refunds/ })).toContainText("<script>");
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    // The latest run of each channel, linked.
    const latest = table.getByRole("row").filter({ hasText: "support-refunds" }).getByTestId("latest-run");
    await expect(latest).toHaveCount(3);
    await expect(latest.filter({ hasText: "canary" }).getByRole("link")).toHaveAttribute("href", /^\/runs\/\d+$/);
    await expect(table.getByRole("row").filter({ hasText: "support-refunds" }).getByRole("cell").nth(1)).toHaveText("3");
    expect(errors).toEqual([]);
  });

  test("unknown pages answer a real 404", async ({ page }) => {
    const res = await page.goto("/no/such/page");
    expect(res.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  });

  test("navigation after hydration does not reload the page", async ({ page }) => {
    await page.goto("/no/such/page");
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible();
    await page.evaluate(() => { window.__marker = 42; });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Benches" }).click();
    await expect(page.getByRole("heading", { name: "Benches" })).toBeVisible();
    // The data arrives through the server function, over HTTP this time.
    await expect(page.getByTestId("bench-table").getByRole("link", { name: "support-refunds", exact: true })).toBeVisible();
    expect(await page.evaluate(() => window.__marker)).toBe(42);
  });
});
