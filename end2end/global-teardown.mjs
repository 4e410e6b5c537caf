import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function globalTeardown() {
  const file = join(tmpdir(), "assay-e2e.pid");
  try {
    process.kill(Number(readFileSync(file, "utf8")), "SIGTERM");
  } catch {}
  rmSync(file, { force: true });
}
