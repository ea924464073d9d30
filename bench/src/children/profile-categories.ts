/**
 * Attributes the samples of a .cpuprofile to the first library (or our package)
 * found walking up from the sampled frame: where a worker's CPU goes, by owner.
 *   node --import tsx bench/src/children/profile-categories.ts file.cpuprofile
 * Profile the TypeScript sources (no `--built`): a bundle hides the owners.
 */
import fs from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const file = process.argv[2];
if (!file) throw new Error("usage: profile-categories <file.cpuprofile>");
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** The owner of a frame: a package name, one of our workspaces, or null (Node internals, natives). */
function owner(url: string): string | null {
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const ours = /\/work\/[^/]+\/((?:apps|packages)\/[^/]+)\/src\/([^/.]+)/.exec(url);
  if (ours?.[1]) return `${ours[1]}/${ours[2]}`;
  return null;
}

const counts = new Map<string, number>();
for (const id of profile.samples) {
  let label: string | null = null;
  const first = byId.get(id);
  if (first && !first.callFrame.url) label = first.callFrame.functionName.startsWith("(") ? first.callFrame.functionName : null;
  for (let cur: number | undefined = id; cur !== undefined && label === null; cur = parent.get(cur)) {
    const node = byId.get(cur);
    if (!node) break;
    label = owner(node.callFrame.url);
  }
  const key = label ?? "(node internals)";
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}\n`);
