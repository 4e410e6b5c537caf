// Page load side by side in headless Chromium (playwright-core from end2end/node_modules, Debian's
// /usr/bin/chromium, the flags of end2end/playwright.config.mjs): for each viewer, the time from
// navigation start to the first visible results row, and the bytes transferred (to that moment and
// until the network is quiet). Viewers take turns within each repetition so a busy moment of the
// machine hits all of them alike; every load is in a fresh browser context (cold cache).
//
//   node pageload.mjs REPS '[{"name": "assay-sqlite", "url": "...", "selector": "...", "backend": "sqlite"}, ...]'
//
// "First visible" is measured in the page: an init script checks on every animation frame (just
// before the browser paints it) for an element matching the selector with a rendered, non-empty
// box, and records performance.now() — milliseconds since the navigation started. Prints one
// PAGELOAD line (JSON) per viewer with the medians, and BENCH lines for those with a `backend`.
import { chromium } from "../../end2end/node_modules/playwright-core/index.mjs";

const [reps, targetsJson] = process.argv.slice(2);
const targets = JSON.parse(targetsJson);
const REPS = Number(reps);
const ROW_TIMEOUT_MS = 180_000; // inspect view took up to 58 s on a loaded 2-core machine
const QUIET_MS = 1_500;
const QUIET_MAX_MS = 20_000;

for (const t of targets) {
  const host = new URL(t.url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) throw new Error(`loopback only, not ${host}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

function watchRows(selector) {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    return el.checkVisibility ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) : true;
  };
  const frame = () => {
    const el = document.querySelector(selector);
    if (el && visible(el)) window.__firstRowAt = performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function load(t) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(watchRows, t.selector);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0, requests = 0, lastActivity = Date.now();
  const encodings = {};
  cdp.on("Network.requestWillBeSent", () => { requests++; lastActivity = Date.now(); });
  cdp.on("Network.dataReceived", (e) => { bytes += e.encodedDataLength; lastActivity = Date.now(); });
  cdp.on("Network.responseReceived", (e) => {
    const enc = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === "content-encoding");
    const key = `${e.type}:${enc ? enc[1] : "identity"}`;
    encodings[key] = (encodings[key] || 0) + 1;
    bytes += e.response.encodedDataLength || 0; // headers (dataReceived counts the body)
  });
  try {
    await page.goto(t.url, { waitUntil: "commit", timeout: ROW_TIMEOUT_MS });
    await page.waitForFunction(() => window.__firstRowAt !== undefined, null, { timeout: ROW_TIMEOUT_MS, polling: 20 });
    const firstRow = await page.evaluate(() => window.__firstRowAt);
    const bytesAtRow = bytes;
    const quietFrom = Date.now();
    while (Date.now() - lastActivity < QUIET_MS && Date.now() - quietFrom < QUIET_MAX_MS) {
      await page.waitForTimeout(100);
    }
    return { firstRow, bytesAtRow, bytes, requests, encodings };
  } finally {
    await context.close();
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
for (let rep = 0; rep < REPS; rep++) {
  for (const t of targets) {
    const r = await load(t);
    runs[t.name].push(r);
    console.error(`  pageload ${t.name} #${rep + 1}: first row ${r.firstRow.toFixed(0)} ms, ` +
      `${(r.bytesAtRow / 1e3).toFixed(0)} KB by then, ${(r.bytes / 1e3).toFixed(0)} KB in all, ${r.requests} requests`);
  }
}
await browser.close();
for (const t of targets) {
  const rs = runs[t.name];
  const firstRow = median(rs.map((r) => r.firstRow));
  if (t.backend) { // Assay's own figures go into the main table too
    const note = `median of ${rs.length} cold loads (${Math.min(...rs.map((r) => r.firstRow)).toFixed(0)}–` +
      `${Math.max(...rs.map((r) => r.firstRow)).toFixed(0)} ms)`;
    console.log("BENCH " + JSON.stringify({ row: "pageload_first_row", backend: t.backend, value: firstRow, unit: "ms",
      cmp: "<=", target: 300, note }));
    console.log("BENCH " + JSON.stringify({ row: "pageload_bytes", backend: t.backend,
      value: median(rs.map((r) => r.bytes)) / 1e3, unit: "KB", cmp: "<=", target: 600,
      note: `${(median(rs.map((r) => r.bytesAtRow)) / 1e3).toFixed(0)} KB by the first row; ${median(rs.map((r) => r.requests))} requests` }));
  }
  console.log("PAGELOAD " + JSON.stringify({
    name: t.name, url: t.url, selector: t.selector, reps: rs.length,
    first_row_ms: firstRow,
    first_row_min_ms: Math.min(...rs.map((r) => r.firstRow)),
    first_row_max_ms: Math.max(...rs.map((r) => r.firstRow)),
    bytes_at_row: median(rs.map((r) => r.bytesAtRow)),
    bytes: median(rs.map((r) => r.bytes)),
    requests: median(rs.map((r) => r.requests)),
    encodings: rs[rs.length - 1].encodings,
  }));
}
