import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function globalTeardown() {
  const addr = process.env.ASSAY_E2E_ADDR || "127.0.0.1:3111";
  const file = join(tmpdir(), `assay-e2e-${addr.replace(/[^0-9A-Za-z]/g, "_")}.pid`);
  try {
    process.kill(Number(readFileSync(file, "utf8")), "SIGTERM");
  } catch {}
  rmSync(file, { force: true });
}
