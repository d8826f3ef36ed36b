// The Debian packages the real node and the image builds need. Installed with apt-get when a
// command is missing (saying what and why); elsewhere than Debian or without root, a clear
// error names the packages instead.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian package → a file it provides, checked to know whether it is installed. */
export const hostPackages = {
  containerd: "/usr/bin/containerd",
  runc: "/usr/sbin/runc",
  buildah: "/usr/bin/buildah",
  "containernetworking-plugins": "/usr/lib/cni/bridge",
  "busybox-static": "/bin/busybox",
  iptables: "/usr/sbin/iptables",
  mmdebstrap: "/usr/bin/mmdebstrap",
  "util-linux": "/usr/bin/nsenter",
  iproute2: "/usr/sbin/ip",
} as const;

export const cniBinDir = "/usr/lib/cni";

export function missingHostPackages(): string[] {
  return Object.entries(hostPackages)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
}

export function ensureHostPackages(log: (line: string) => void): void {
  const missing = missingHostPackages();
  if (missing.length === 0) return;
  const why = "the local cluster's real node (containerd, runc, CNI plugins) and its locally built images (buildah, mmdebstrap, busybox)";
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    throw new Error(`missing Debian packages ${missing.join(", ")} for ${why}; install them as root: apt-get install -y ${missing.join(" ")}`);
  }
  log(`Installing Debian packages for ${why}: ${missing.join(", ")} (apt-get update, then apt-get install)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...missing]]) {
    const r = spawnSync("apt-get", args, { env, stdio: ["ignore", "inherit", "inherit"], timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${r.status}); install by hand: apt-get install -y ${missing.join(" ")}`);
  }
  const still = missingHostPackages();
  if (still.length > 0) throw new Error(`after apt-get install, still missing: ${still.join(", ")}`);
  log(`Installed ${missing.join(", ")}: ${execFileSync("containerd", ["--version"], { encoding: "utf8" }).trim()}`);
}
