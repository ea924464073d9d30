// `pnpm test`: typecheck and lint every package (turbo), then the whole vitest
// suite against real Postgres and Redis. Prints a plain closing line
// "N passed, N failed" and exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const env = { ...process.env, FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR };

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  return result.status ?? 1;
}

const checks = run("pnpm", ["exec", "turbo", "run", "typecheck", "lint", "--output-logs=errors-only"]);
if (checks !== 0) {
  console.error("typecheck/lint failed");
  process.exit(checks);
}

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wbslots-vitest-")), "report.json");
const status = run("pnpm", ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const summary = JSON.parse(fs.readFileSync(report, "utf8"));
  passed = summary.numPassedTests ?? 0;
  failed = (summary.numFailedTests ?? 0) + (summary.numFailedTestSuites ?? 0);
  skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
} catch {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);
