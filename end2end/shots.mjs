import { chromium } from "@playwright/test";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
for (const [url, out, scheme, w, h] of JSON.parse(process.argv[2])) {
  const ctx = await b.newContext({ viewport: { width: w, height: h || 1300 }, colorScheme: scheme });
  const p = await ctx.newPage();
  p.on("console", (m) => { if (m.type() === "error") console.log("console", m.text().slice(0, 300)); });
  p.on("pageerror", (e) => console.log("pageerror", String(e).slice(0, 300)));
  const t0 = Date.now();
  await p.goto("http://127.0.0.1:3000" + url);
  await p.locator("main[data-hydrated='true']").waitFor({ timeout: 30000 });
  console.log(url, "hydrated", Date.now() - t0, "ms");
  await p.screenshot({ path: out, fullPage: false });
  await ctx.close();
}
await b.close();
