// Builds `helm` from its upstream Go module (the wrapper module e2e/helm/build pins the
// release) into a cache outside the repository: <cache>/helm/<version>-<hash of go.mod+go.sum>/helm.
// A cached binary is reused as is; a build happens only when it is missing. No binary is
// ever written into the repository.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { goBuild } from "../../local-cluster/go-build.ts";
import { cacheRoot, repoRoot } from "../../local-cluster/state.ts";

export const helmModuleDir = join(repoRoot, "e2e", "helm", "build");
const helmPackage = "helm.sh/helm/v3/cmd/helm";

/** The helm release the wrapper module requires, e.g. `v3.19.5`. */
export function helmVersion(goMod = readFileSync(join(helmModuleDir, "go.mod"), "utf8")): string {
  const match = /^\s*helm\.sh\/helm\/v3\s+(v\d+\.\d+\.\d+)\b/m.exec(goMod);
  if (!match?.[1]) throw new Error("e2e/helm/build/go.mod: no helm.sh/helm/v3 requirement");
  return match[1];
}

/** The Kubernetes client modules' version the release is built with, e.g. `v0.34.2`. */
export function clientGoVersion(goMod = readFileSync(join(helmModuleDir, "go.mod"), "utf8")): string {
  const match = /^\s*k8s\.io\/client-go\s+(v0\.\d+\.\d+)\b/m.exec(goMod);
  if (!match?.[1]) throw new Error("e2e/helm/build/go.mod: no k8s.io/client-go requirement");
  return match[1];
}

/**
 * The ldflags of helm's own Makefile: the version `helm version` prints, and the Kubernetes
 * version that `helm lint` and `helm template` assume (client-go v0.N.x ↔ Kubernetes 1.N).
 */
export function helmLdflags(version: string, clientGo: string): string {
  const minor = clientGo.split(".")[1];
  return [
    "-s -w",
    `-X helm.sh/helm/v3/internal/version.version=${version}`,
    "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1",
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}`,
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1",
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}`,
  ].join(" ");
}

/** Where the binary for the module's current go.mod/go.sum lives (built or not). */
export function helmBinaryPath(): { version: string; path: string } {
  const goMod = readFileSync(join(helmModuleDir, "go.mod"), "utf8");
  const goSum = readFileSync(join(helmModuleDir, "go.sum"), "utf8");
  const version = helmVersion(goMod);
  const key = createHash("sha256").update(goMod).update(goSum).digest("hex").slice(0, 12);
  return { version, path: join(cacheRoot(), "helm", `${version}-${key}`, "helm") };
}

/**
 * Returns the helm binary: $KUBATCH_HELM when set, else the cached build, building it first
 * when it is missing. Test files run in parallel processes: one builds while the others wait
 * on a lock folder beside the binary (a lock older than the build deadline is taken over).
 */
export async function ensureHelm(log: (line: string) => void = console.log): Promise<string> {
  if (process.env.KUBATCH_HELM) return process.env.KUBATCH_HELM;
  const { path } = helmBinaryPath();
  if (existsSync(path)) return path;
  const lock = `${path}.lock`;
  mkdirSync(join(path, ".."), { recursive: true });
  const deadline = Date.now() + buildDeadlineMs;
  for (let announced = false; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(path)) return path;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > buildDeadlineMs) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build helm (lock ${lock})`);
      if (!announced) log(`Waiting for another process building helm (lock ${lock})`);
      announced = true;
      await sleep(1000);
    }
  }
  try {
    return existsSync(path) ? path : await buildHelm(log);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const buildDeadlineMs = 20 * 60_000;

async function buildHelm(log: (line: string) => void): Promise<string> {
  const { version, path } = helmBinaryPath();
  const goMod = readFileSync(join(helmModuleDir, "go.mod"), "utf8");
  const dir = join(path, "..");
  log(`Building helm ${version} from its Go module into ${dir}`);
  log("A cold build takes a few minutes on 2 cores (more while Go modules download); later runs reuse the cache.");
  const started = Date.now();
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await goBuild({ moduleDir: helmModuleDir, packages: [helmPackage], ldflags: helmLdflags(version, clientGoVersion(goMod)), output: tmp, env: { CGO_ENABLED: "0" }, log, deadlineMs: buildDeadlineMs });
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
  log(`Built helm ${version} in ${Math.round((Date.now() - started) / 1000)}s`);
  return path;
}
