import { defineConfig } from "tsup";

/**
 * Bundles workspace packages (@wbslots/*) into dist/main.js; the sandbox's own npm deps
 * stay external. Their transitive deps (pino via @wbslots/logger) get bundled, so
 * the banner gives the ESM bundle a `require` for Node built-ins.
 */
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  target: "node20",
  outDir: "dist",
  splitting: false,
  clean: true,
  noExternal: [/^@wbslots\//],
  banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
});
