// What local clusters share on one machine, claimed and given back through files under
// /run/kubatch (a tmpfs: a reboot clears it together with the namespaces and cgroups it
// speaks for):
// - slot-<n>: which state folder owns network slot n (created with O_EXCL, so two `up`s
//   never take one slot, and `down` only removes a slot its own state folder holds);
// - sysctl.json: the kernel settings as they were before the first kubelet changed them
//   (the kubelet sets vm.overcommit_memory, kernel.panic, kernel.panic_on_oops, … host-wide),
//   put back when the last cluster is down.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const claimsDir = process.env.KUBATCH_CLAIMS_DIR ?? "/run/kubatch";

function slotFile(slot: number): string {
  return join(claimsDir, `slot-${slot}`);
}

export function slotOwner(slot: number): string | undefined {
  try {
    return readFileSync(slotFile(slot), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first slot that is free on this machine (`inUse` says whether its namespace or link
 * exist), claimed for `stateDir`; a slot this state folder already holds is taken again.
 */
export function claimSlot(stateDir: string, maxSlot: number, inUse: (slot: number) => boolean): number {
  mkdirSync(claimsDir, { recursive: true });
  for (let slot = 1; slot <= maxSlot; slot++) {
    if (slotOwner(slot) === stateDir) return slot;
    if (inUse(slot)) continue;
    try {
      writeFileSync(slotFile(slot), `${stateDir}\n`, { flag: "wx" });
      return slot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  throw new Error(`every network slot 1..${maxSlot} is taken (${claimsDir}): bring some clusters down`);
}

export function releaseSlot(slot: number, stateDir: string): void {
  if (slotOwner(slot) === stateDir) rmSync(slotFile(slot), { force: true });
}

function claimedSlots(): number {
  return existsSync(claimsDir) ? readdirSync(claimsDir).filter((f) => f.startsWith("slot-")).length : 0;
}

/** The host-wide settings the kubelet writes at start (pkg/kubelet/cm's setupKernelTunables). */
export const kubeletSysctls = ["vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"];

const sysctlFile = () => join(claimsDir, "sysctl.json");

/** Records the settings before the first of this machine's kubelets changes them. */
export function saveSysctls(): void {
  mkdirSync(claimsDir, { recursive: true });
  if (existsSync(sysctlFile())) return;
  const values: Record<string, string> = {};
  for (const key of kubeletSysctls) {
    try {
      values[key] = readFileSync(`/proc/sys/${key}`, "utf8").trim();
    } catch {
      // Not on this kernel.
    }
  }
  writeFileSync(sysctlFile(), JSON.stringify(values, null, 2) + "\n");
}

/** Puts the settings back once no cluster holds a slot. */
export function restoreSysctls(log: (line: string) => void): void {
  if (claimedSlots() > 0 || !existsSync(sysctlFile())) return;
  const values = JSON.parse(readFileSync(sysctlFile(), "utf8")) as Record<string, string>;
  for (const [key, value] of Object.entries(values)) {
    try {
      if (readFileSync(`/proc/sys/${key}`, "utf8").trim() !== value) writeFileSync(`/proc/sys/${key}`, value);
    } catch (err) {
      log(`could not restore ${key.replaceAll("/", ".")}=${value}: ${String(err)}`);
    }
  }
  rmSync(sysctlFile(), { force: true });
}
