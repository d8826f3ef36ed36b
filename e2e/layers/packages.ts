// The repository's packages and the one direction their imports may take (DESIGN §2):
//   api → {kube, storage} → {operator, task-runner, local-cluster} → cli → {e2e, examples}
// Each package lists what it may import besides itself; nothing may import upwards.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

export type Package = {
  /** The folder (repository path) that holds it. */
  dir: string;
  holds: string;
  /** Packages it may import (besides itself). */
  mayImport: readonly string[];
  /** Single modules of other packages it may import: the public pieces it uses. */
  mayImportModules?: readonly string[];
};

export const packages: readonly Package[] = [
  { dir: "api", holds: "zod schemas, CRD generation, labels, the node's environment contract and directory layout", mayImport: [] },
  { dir: "kube", holds: "Kubernetes plumbing: informer, apply, errors, events, kube config, bounded concurrency", mayImport: ["api"] },
  { dir: "storage", holds: "Azure Blob Storage plumbing: credentials from a Secret's value, container and blob clients", mayImport: ["api"] },
  { dir: "operator", holds: "the controller manager", mayImport: ["api", "kube", "storage"] },
  { dir: "task-runner", holds: "the node agent (fetch, start-task, agent, upload)", mayImport: ["api", "kube", "storage"] },
  { dir: "local-cluster", holds: "the embedded local Kubernetes", mayImport: ["api", "kube"] },
  // `kubatch pool autoscale` evaluates a formula the way the operator does.
  { dir: "cli", holds: "the kubatch command", mayImport: ["api", "kube", "storage", "local-cluster"], mayImportModules: ["operator/src/autoscale/index.ts"] },
  { dir: "e2e", holds: "end-to-end suites, benchmarks, the demo, these checks", mayImport: ["api", "kube", "storage", "operator", "task-runner", "local-cluster", "cli", "examples"] },
  { dir: "examples", holds: "manifests and the OCR sample", mayImport: ["api", "kube", "storage", "operator", "task-runner", "local-cluster", "cli", "e2e"] },
];

/** Files at the repository root any package may read (the version in package.json). */
export const rootFiles = ["package.json"];

/** The package a repository path belongs to, if any. */
export function packageOfPath(path: string): Package | undefined {
  return packages.find((p) => path === p.dir || path.startsWith(`${p.dir}/`));
}

/** Why `from` may not import `to` (repository paths), or undefined when it may. */
export function violation(from: string, to: string): string | undefined {
  const source = packageOfPath(from);
  if (!source) return undefined;
  const target = packageOfPath(to);
  if (!target) return rootFiles.includes(to) ? undefined : `${to} is in no package`;
  if (target === source || source.mayImport.includes(target.dir) || source.mayImportModules?.includes(to)) return undefined;
  return `${source.dir}/ may import only ${[...source.mayImport, ...(source.mayImportModules ?? [])].join(", ") || "itself"}, not ${target.dir}/`;
}

/** Every file below `dir` (repository paths), without node_modules and dot folders. */
export function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/** Every .ts file under the packages' folders (repository paths). */
export function sourceFiles(root: string): string[] {
  return packages.flatMap((p) => filesUnder(root, p.dir)).filter((f) => f.endsWith(".ts"));
}
