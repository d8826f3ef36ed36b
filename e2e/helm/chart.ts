// Running helm against the kubatch chart in the test suites: the binary (built by
// helm-binary.ts, or why it is not available), bounded runs, and rendered manifests.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadYaml } from "@kubernetes/client-node";
import { cacheRoot, repoRoot } from "../../local-cluster/state.ts";
import { run, show, type Run } from "../tests/support/run.ts";
import { ensureHelm, helmBinaryPath } from "./helm-binary.ts";

export const chartDir = join(repoRoot, "charts", "kubatch");


export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

/**
 * The helm binary for the suites, or why they skip. Unit runs (no KUBECONFIG) use helm only
 * when it is already built, so `make test-unit` never waits for a Go build; `make test`
 * builds it once (about two minutes on 2 cores) and later runs reuse the cache.
 */
export async function helmForTests(log: (line: string) => void = (l) => console.error(`[helm] ${l}`)): Promise<{ helm: string; skip?: undefined } | { helm?: undefined; skip: string }> {
  if (process.env.KUBATCH_HELM) return { helm: process.env.KUBATCH_HELM };
  if (!existsSync(helmBinaryPath().path) && !process.env.KUBECONFIG) {
    return { skip: "helm is not built yet and KUBECONFIG is not set: `make test` builds it (or set KUBATCH_HELM)" };
  }
  try {
    return { helm: await ensureHelm(log) };
  } catch (err) {
    return { skip: `helm could not be built from its Go module: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** helm's own cache, config and data folders, kept out of $HOME. */
function helmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(cacheRoot(), "helm", "home");
  return {
    ...process.env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
    ...extra,
  };
}

export function helm(binary: string, args: string[], ms = 60_000): Promise<Run> {
  return run(binary, args, ms, helmEnv());
}

/** `--set` style values → helm arguments. */
export function setArgs(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
}

/**
 * One YAML document as plain data. client-node's loadYaml turns objects of built-in kinds
 * into its typed models (dropping what they do not know); nested under a key without
 * apiVersion/kind a document stays exactly as written.
 */
export function plainYaml(text: string): unknown {
  const wrapped = loadYaml(`doc:\n${text.split("\n").map((line) => `  ${line}`).join("\n")}`) as { doc?: unknown };
  return wrapped.doc ?? null;
}

/** The objects of a `helm template` output (or any multi-document YAML), as plain data. */
export function parseManifests(text: string): Manifest[] {
  return text
    .split(/^---\s*$/m)
    .map((doc) => plainYaml(doc) as Manifest | null)
    .filter((d): d is Manifest => d !== null && typeof d === "object");
}

export async function template(binary: string, values: Record<string, string | number | boolean>, release = "kubatch", namespace = "kubatch-system"): Promise<Manifest[]> {
  const r = await helm(binary, ["template", release, chartDir, "--namespace", namespace, ...setArgs(values)]);
  if (r.code !== 0) throw new Error(`helm template failed: ${show(r)}`);
  return parseManifests(r.stdout);
}
