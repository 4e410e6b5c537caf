// Playwright drives Debian's Chromium (a browser download is impossible here) against an
// Assay server that global-setup.mjs starts on a fresh SQLite file and seeds over the API.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  // The debug WASM bundle hydrates in 1–3 s on an idle 2-core machine; leave room for a busy one.
  expect: { timeout: 15_000 },
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  globalSetup: "./global-setup.mjs",
  globalTeardown: "./global-teardown.mjs",
  use: {
    baseURL: `http://${process.env.ASSAY_E2E_ADDR || "127.0.0.1:3111"}`,
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
  },
});
