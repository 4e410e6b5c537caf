import { test, expect } from "@playwright/test";

const ODD = "odd/id é #1";
const oddPath = (run) => `/runs/${run}/cases/${encodeURIComponent(ODD)}`;

async function tracesRuns(request) {
  const res = await request.get("/api/runs?bench=traces");
  const runs = (await res.json()).runs;
  return { production: runs.find((r) => r.channel === "production").id, canary: runs.find((r) => r.channel === "canary").id };
}

function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

test.describe("case page", () => {
  test("renders on the server: an odd case id, a first trace page under 500 KB, untrusted text as text", async ({ request }) => {
    const { production } = await tracesRuns(request);
    const res = await request.get(oddPath(production));
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="case-header"');
    expect(html).toContain("Odd case");
    expect(html).toContain("steps 1–100 of 2000");
    expect((html.match(/data-testid="trace-step"/g) || []).length).toBe(100);
    expect(html.length).toBeLessThan(500 * 1024);
    expect(html).toContain("&lt;img src=x onerror=window.__pwned=1&gt;");
    expect(html).not.toContain("<img src=x onerror");
    // Long texts arrive clipped: the tail comes with "show all".
    expect(html).not.toContain("END-OF-LONG");
    expect(html).not.toContain("REASON-TAIL");
  });

  test("show all fetches a clipped text without reloading; the trace pages and expands from the URL", async ({ page, request }) => {
    const { production } = await tracesRuns(request);
    const errors = watchErrors(page);
    await page.goto(oddPath(production));
    await expect(page.locator("main[data-hydrated='true']")).toBeVisible({ timeout: 20_000 });
    await page.evaluate(() => { window.__marker = 1; });

    const output = page.getByTestId("case-output");
    await expect(output).not.toContainText("END-OF-LONG");
    await output.locator("..").getByRole("button", { name: "Show all" }).click();
    await expect(output).toContainText("<script>window.__pwned=1</script> END-OF-LONG");
    const reason = page.getByTestId("scorer-reason").nth(1);
    await reason.locator("..").getByRole("button", { name: "Show all" }).click();
    await expect(reason).toContainText("REASON-TAIL");

    // Steps arrive 100 at a time.
    const steps = page.getByTestId("trace-step");
    await expect(steps).toHaveCount(100);
    await page.getByTestId("trace-next").first().click();
    await expect(page).toHaveURL(/tp=2/);
    await expect(page.getByTestId("trace-range").first()).toHaveText("steps 101–200 of 2000");
    await expect(steps.first()).toContainText("#100");
    // Collapsed by default; "Expand all" opens every step and call of the page, in the URL.
    await expect(page.locator("[data-testid=trace] details[open]")).toHaveCount(0);
    await page.getByTestId("expand-all").click();
    await expect(page).toHaveURL(/open=all/);
    await expect(page.locator("[data-testid=trace] > li > details[open]")).toHaveCount(100);
    // A clipped step output: the tail comes on demand.
    const step150 = page.locator("#step-150");
    await expect(step150.getByTestId("step-output")).not.toContainText("STEP-TAIL");
    await step150.getByRole("button", { name: "Show all" }).click();
    await expect(step150.getByTestId("step-output")).toContainText("STEP-TAIL");
    // A single step toggles by hand too.
    await step150.locator("summary").first().click();
    await expect(step150.locator("details").first()).not.toHaveAttribute("open", "");
    await page.getByTestId("collapse-all").click();
    await expect(page).not.toHaveURL(/open=all/);
    await expect(page.locator("[data-testid=trace] > li > details[open]")).toHaveCount(0);
    await page.goBack();
    await expect(page).toHaveURL(/open=all/);
    await expect(page.locator("[data-testid=trace] > li > details[open]")).toHaveCount(100);

    expect(await page.evaluate(() => window.__marker)).toBe(1);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  test("a deep link to a step opens its page with that step open; calls outside steps come last", async ({ page, request }) => {
    const { production } = await tracesRuns(request);
    const errors = watchErrors(page);
    await page.goto(`${oddPath(production)}?step=1951#step-1951`);
    await expect(page.getByTestId("trace-range").first()).toHaveText("steps 1901–2000 of 2000");
    const step = page.locator("#step-1951");
    await expect(step.locator("details").first()).toHaveAttribute("open", "");
    await expect(step.getByTestId("tool-call")).toContainText("tool_5");
    await expect(page.locator("#step-1950 details").first()).not.toHaveAttribute("open", "");
    await expect(page.getByText("Tool calls outside any step")).toBeVisible();
    await expect(page.getByText("orphan_tool")).toBeVisible();
    // The failing tool call is marked on its page.
    await page.goto(`${oddPath(production)}?step=7`);
    await expect(page.locator("#step-7 [data-testid=call-error]")).toHaveText("tool exploded <b>loudly</b>");
    expect(errors).toEqual([]);
  });

  test("scorers link to the judge line that defines them; the case's other runs are listed", async ({ page, request }) => {
    const { production, canary } = await tracesRuns(request);
    await page.goto(oddPath(canary));
    await expect(page.getByTestId("case-score")).toHaveText("score 0.400");
    await expect(page.getByTestId("case-verdict")).toHaveText("fail");
    const links = page.getByTestId("scorer-source");
    await expect(links.nth(0)).toHaveAttribute("href", "/scripts/judge/trace-judge/v/1#L4");
    await expect(links.nth(1)).toHaveAttribute("href", "/scripts/judge/trace-judge/v/1#L7");
    const history = page.getByTestId("case-history").locator("tbody tr");
    await expect(history).toHaveCount(2);
    await expect(history.filter({ hasText: "(this run)" })).toContainText("0.400");
    await history.filter({ hasText: "production" }).getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`/runs/${production}/cases/`));
    await expect(page.getByTestId("case-score")).toHaveText("score 0.900");
    await expect(page.getByTestId("case-inputs")).toContainText('"question": "<b>why</b>"');
  });

  test("unknown runs and cases answer 404", async ({ request }) => {
    const { production } = await tracesRuns(request);
    expect((await request.get(`/runs/${production}/cases/nope`)).status()).toBe(404);
    expect((await request.get(`/runs/999999/cases/plain`)).status()).toBe(404);
    expect((await request.get(`/runs/${production}/cases/plain`)).status()).toBe(200);
  });
});
