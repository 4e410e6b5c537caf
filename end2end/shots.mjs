// Screenshots of pages for a look by eye: node shots.mjs '[["/runs", "/tmp/runs.png", "light", 1440, 900], …]'
// (url, output file, colour scheme, width, height; add "full" as a sixth item for the whole page).
// The server is ASSAY_SHOTS_ADDR (default 127.0.0.1:3000), e.g. `assay serve` on `assay demo` data.
import { chromium } from "@playwright/test";
const addr = process.env.ASSAY_SHOTS_ADDR || "127.0.0.1:3000";
const b = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
for (const [url, out, scheme, w, h, full] of JSON.parse(process.argv[2])) {
  const ctx = await b.newContext({ viewport: { width: w, height: h || 1300 }, colorScheme: scheme });
  const p = await ctx.newPage();
  p.on("console", (m) => { if (m.type() === "error") console.log("console", m.text().slice(0, 300)); });
  p.on("pageerror", (e) => console.log("pageerror", String(e).slice(0, 300)));
  const t0 = Date.now();
  await p.goto(`http://${addr}${url}`);
  await p.locator("main[data-hydrated='true']").waitFor({ timeout: 30000 });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  console.log(url, scheme, w, "hydrated", Date.now() - t0, "ms", overflow > 0 ? `OVERFLOWS by ${overflow} px` : "");
  await p.screenshot({ path: out, fullPage: full === "full" });
  await ctx.close();
}
await b.close();
