/**
 * Preload for profiling a child (`NODE_OPTIONS=--import …/cpu-profiler.ts`;
 * Node 20 refuses `--cpu-prof` in NODE_OPTIONS): starts the V8 sampling profiler
 * after BENCH_PROFILE_START_MS, stops it BENCH_PROFILE_MS later and writes
 * `<BENCH_PROFILE_DIR>/<pid>.cpuprofile` (open in Chrome DevTools).
 */
import fs from "node:fs";
import inspector from "node:inspector";
import path from "node:path";

const dir = process.env.BENCH_PROFILE_DIR ?? "/tmp";
const startMs = Number(process.env.BENCH_PROFILE_START_MS ?? 5000);
const lengthMs = Number(process.env.BENCH_PROFILE_MS ?? 10_000);
const session = new inspector.Session();
session.connect();
setTimeout(() => {
  session.post("Profiler.enable", () => {
    session.post("Profiler.setSamplingInterval", { interval: 500 }, () => {
      session.post("Profiler.start", () => {
        setTimeout(() => {
          session.post("Profiler.stop", (error, result) => {
            if (!error) fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
          });
        }, lengthMs).unref();
      });
    });
  });
}, startMs).unref();
