import { defineConfig } from "tsup";

/**
 * `pnpm build`: bundles src/main.ts with the workspace packages (@wbslots/*,
 * including Prisma's generated TS client) into dist/main.js; the worker's own
 * npm dependencies stay external. Transitive deps of workspace packages (pino,
 * got, pg, @prisma/*) are bundled, so the banner gives the ESM bundle a
 * `require` for Node built-ins.
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
