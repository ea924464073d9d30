import { readFileSync } from "node:fs";
import type { Options } from "tsup";

/**
 * The production bundle of one app (`apps/<name>/dist/main.js`): our workspace
 * packages and their dependencies are bundled; the app's own declared npm
 * dependencies stay external (resolved from the app's node_modules, which
 * `pnpm deploy --prod` fills in the Docker images). pnpm gives an app no access
 * to a workspace package's transitive dependencies, hence bundling those.
 * @returns tsup options for the app whose package.json is at `packageJsonUrl`
 */
export function appBundle(packageJsonUrl: URL): Options {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, "utf8")) as { dependencies?: Record<string, string> };
  const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith("@wbslots/"));
  const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return {
    entry: ["src/main.ts"],
    format: ["esm"],
    target: "node20",
    platform: "node",
    outDir: "dist",
    splitting: false,
    clean: true,
    external,
    noExternal: external.length > 0 ? [new RegExp(`^(?!(${external.map(escape).join("|")})(/|$))`)] : [/.*/],
    banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
  };
}
