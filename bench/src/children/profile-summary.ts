/**
 * Prints the top self-time and inclusive-time frames of a .cpuprofile.
 *   node --import tsx bench/src/children/profile-summary.ts file.cpuprofile [top=25]
 */
import fs from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const file = process.argv[2];
if (!file) throw new Error("usage: profile-summary <file.cpuprofile> [top]");
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = profile.samples.length;
const label = (n: Node): string => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|work\/main\/)/, "")}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const id of profile.samples) {
  const n = byId.get(id);
  if (!n) continue;
  self.set(label(n), (self.get(label(n)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur);
    if (!node) break;
    const l = label(node);
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + 1);
  }
}
const print = (title: string, map: Map<string, number>): void => {
  process.stdout.write(`\n${title} (${total} samples)\n`);
  for (const [l, c] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${l}\n`);
};
print("self", self);
print("inclusive", incl);
