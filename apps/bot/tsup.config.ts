import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// Production bundle: our workspace packages and their dependencies are bundled;
// the bot's own declared dependencies stay external (resolved from apps/bot/node_modules),
// since pnpm gives apps/bot no access to the workspace packages' transitive dependencies.
const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> };
const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith("@wbslots/"));
const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  outDir: "dist",
  splitting: false,
  clean: true,
  external,
  noExternal: [new RegExp(`^(?!(${external.map(escape).join("|")})(/|$))`)],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
