// Failpoints: named places in a process where a test can make it die, by SIGKILL, on the Nth
// time it gets there — to show that a crash at exactly that point loses nothing and runs
// nothing twice (e2e/tests/operator-crash.test.ts). They are armed from the environment,
// KUBATCH_FAILPOINTS=name=N[,name=N…]; unarmed (the variable unset, as in production), a
// failpoint costs one Map lookup.
import { writeSync } from "node:fs";

export const failpointsVar = "KUBATCH_FAILPOINTS";

const namePattern = /^[a-z0-9][a-z0-9.-]*$/;

/** `name=N,…` → name → the hit that kills (N ≥ 1). Errors name the variable and the entry. */
export function parseFailpoints(text: string | undefined): Map<string, number> {
  const armed = new Map<string, number>();
  for (const entry of (text ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const [name = "", count = "", ...rest] = entry.split("=").map((p) => p.trim());
    if (!namePattern.test(name) || rest.length > 0 || !/^[1-9][0-9]*$/.test(count)) {
      throw new Error(`${failpointsVar}: "${entry}" is not name=N (a failpoint name, then the hit that kills, N ≥ 1)`);
    }
    if (armed.has(name)) throw new Error(`${failpointsVar}: failpoint ${name} is armed twice`);
    armed.set(name, Number(count));
  }
  return armed;
}

/** A failpoint function over armed points: counts each armed point's hits and calls `die` on the armed hit (once). */
export function makeFailpoint(armed: ReadonlyMap<string, number>, die: (name: string, hit: number) => void): (name: string) => void {
  const hits = new Map<string, number>();
  return (name) => {
    const at = armed.get(name);
    if (at === undefined) return;
    const hit = (hits.get(name) ?? 0) + 1;
    hits.set(name, hit);
    if (hit === at) die(name, hit);
  };
}

/** Dies here, at once and without cleanup, when the environment armed this point for this hit. */
export const failpoint = makeFailpoint(parseFailpoints(process.env[failpointsVar]), (name, hit) => {
  // Synchronous, so the line is in the log before the process is gone.
  writeSync(2, `${new Date().toISOString()} failpoint ${name}: hit ${hit}, SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
});
