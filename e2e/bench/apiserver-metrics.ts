// API writes counted by the API server itself: `apiserver_request_total` from /metrics,
// read before and after a phase; the difference by resource, subresource, verb and code.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export type RequestCounts = Map<string, number>;

const run = promisify(execFile);

/** `resource[/subresource] VERB code` → count, for every series of apiserver_request_total. */
export function parseRequestTotals(text: string): RequestCounts {
  const out: RequestCounts = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const close = line.lastIndexOf("}");
    const labels = new Map<string, string>();
    for (const m of line.slice("apiserver_request_total{".length, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels.set(m[1]!, m[2]!);
    const value = Number(line.slice(close + 1).trim());
    const resource = labels.get("resource") ?? "";
    const sub = labels.get("subresource") ?? "";
    const key = `${labels.get("group") ? `${resource}.${labels.get("group")}` : resource}${sub ? `/${sub}` : ""} ${labels.get("verb")} ${labels.get("code")}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

export async function scrape(kubectl: string, kubeconfig: string): Promise<RequestCounts> {
  const { stdout } = await run(kubectl, ["--kubeconfig", kubeconfig, "get", "--raw", "/metrics"], { maxBuffer: 64 << 20 });
  return parseRequestTotals(stdout);
}

export function delta(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

const writeVerbs = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);

export type WriteSummary = {
  /** `resource[/sub] VERB` → count, writes only, every response code. */
  writes: Record<string, number>;
  /** Of those, answered 409 Conflict. */
  conflicts: Record<string, number>;
  total: number;
};

/** Writes (every code) by `resource[/subresource] VERB`, optionally only resources matching. */
export function writes(d: RequestCounts, resource?: (r: string) => boolean): WriteSummary {
  const w: Record<string, number> = {};
  const c: Record<string, number> = {};
  let total = 0;
  for (const [key, n] of d) {
    const [res, verb, code] = key.split(" ") as [string, string, string];
    if (!writeVerbs.has(verb) || (resource && !resource(res))) continue;
    const k = `${res} ${verb}`;
    w[k] = (w[k] ?? 0) + n;
    if (code === "409") c[k] = (c[k] ?? 0) + n;
    total += n;
  }
  return { writes: sortRecord(w), conflicts: sortRecord(c), total };
}

function sortRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1]));
}
