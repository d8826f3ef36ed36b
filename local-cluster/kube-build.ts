// Builds the control-plane binaries from the wrapper module local-cluster/kube-build into a cache
// outside the repository, keyed by the Kubernetes release and the module's go.mod/go.sum.
// A complete cache entry is reused as is; a build happens only when a binary is missing.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { goBuild } from "./go-build.ts";
import { cacheRoot, repoRoot } from "./state.ts";

const moduleDir = join(repoRoot, "local-cluster", "kube-build");

/** Binary name → Go package. etcd's main package is the root of go.etcd.io/etcd/server/v3. */
const binaries = {
  "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
  "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
  "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
  "kube-proxy": "k8s.io/kubernetes/cmd/kube-proxy",
  kubectl: "k8s.io/kubernetes/cmd/kubectl",
  kubelet: "k8s.io/kubernetes/cmd/kubelet",
  etcd: "go.etcd.io/etcd/server/v3",
} as const;

export type Binary = keyof typeof binaries;

export type KubeBinaries = { version: string; binDir: string; path: (name: Binary) => string };

export function kubeVersion(goMod = readFileSync(join(moduleDir, "go.mod"), "utf8")): string {
  const match = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\s*(\/\/.*)?$/m.exec(goMod);
  if (!match?.[1]) throw new Error(`local-cluster/kube-build/go.mod: no k8s.io/kubernetes requirement`);
  return match[1];
}

/** Version ldflags for both version packages, so `kubectl version` reports the release. */
export function versionLdflags(version: string): string {
  const [major, minor] = version.slice(1).split(".");
  const flags: string[] = [];
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=2026-01-01T00:00:00Z`,
    );
  }
  return flags.join(" ");
}

export function kubeBinDir(): { version: string; binDir: string } {
  const goMod = readFileSync(join(moduleDir, "go.mod"), "utf8");
  const goSum = readFileSync(join(moduleDir, "go.sum"), "utf8");
  const version = kubeVersion(goMod);
  const key = createHash("sha256").update(goMod).update(goSum).digest("hex").slice(0, 12);
  return { version, binDir: join(cacheRoot(), "kube", `${version}-${key}`, "bin") };
}

function missing(binDir: string): Binary[] {
  return (Object.keys(binaries) as Binary[]).filter((name) => !existsSync(join(binDir, name)));
}

export async function ensureKubeBinaries(log: (line: string) => void = console.log): Promise<KubeBinaries> {
  const { version, binDir } = kubeBinDir();
  const result = { version, binDir, path: (name: Binary) => join(binDir, name) };
  const absent = missing(binDir);
  if (absent.length === 0) return result;

  log(`Building Kubernetes ${version} (${absent.join(", ")}) from Go modules into ${binDir}`);
  log(`A cold build takes about 5 minutes on 2 cores (more while Go modules download); later runs reuse the cache.`);
  const started = Date.now();
  const tmp = `${binDir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await goBuild({ moduleDir, packages: absent.map((name) => binaries[name]), ldflags: `-s -w ${versionLdflags(version)}`, output: `${tmp}/`, log });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // Go names the binary of go.etcd.io/etcd/server/v3 after its last non-version element.
  if (existsSync(join(tmp, "server"))) renameSync(join(tmp, "server"), join(tmp, "etcd"));
  mkdirSync(binDir, { recursive: true });
  for (const name of absent) renameSync(join(tmp, name), join(binDir, name));
  rmSync(tmp, { recursive: true, force: true });
  log(`Built Kubernetes ${version} in ${Math.round((Date.now() - started) / 1000)}s`);
  return result;
}
