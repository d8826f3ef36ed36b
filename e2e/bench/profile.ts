// A V8 .cpuprofile summarised: the functions with the most self time, and the share of
// time the process was idle, garbage collecting or running JavaScript.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { repoRoot } from "../../local-cluster/state.ts";

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };

export type ProfileSummary = { seconds: number; idlePercent: number; gcPercent: number; top: { fn: string; where: string; selfPercent: number; selfSeconds: number }[]; topFiles: { file: string; selfPercent: number }[] };

export function summarizeProfile(path: string, topN = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const total = (p.endTime - p.startTime) || 1;
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byFile = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === "(idle)") idle += us;
    if (f.functionName === "(garbage collector)") gc += us;
    const file = f.url ? shorten(f.url) : "(native)";
    const where = f.url ? `${file}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName}@${where}`;
    const e = byFn.get(key) ?? { fn: f.functionName || "(anonymous)", where, us: 0 };
    e.us += us;
    byFn.set(key, e);
    if (f.functionName !== "(idle)") byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    seconds: Math.round(total / 1e5) / 10,
    idlePercent: pct(idle),
    gcPercent: pct(gc),
    top: [...byFn.values()].filter((e) => e.fn !== "(idle)").sort((a, b) => b.us - a.us).slice(0, topN).map((e) => ({ fn: e.fn, where: e.where, selfPercent: pct(e.us), selfSeconds: Math.round(e.us / 1e4) / 100 })),
    topFiles: [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([file, us]) => ({ file, selfPercent: pct(us) })),
  };
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  if (path.startsWith(repoRoot)) {
    const rel = relative(repoRoot, path);
    const nm = rel.indexOf("node_modules/");
    return nm >= 0 ? rel.slice(nm + "node_modules/".length) : rel;
  }
  return path;
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node e2e/bench/profile.ts FILE.cpuprofile");
    process.exit(2);
  }
  console.log(JSON.stringify(summarizeProfile(file), null, 2));
}
