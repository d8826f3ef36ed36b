import { setTimeout as sleep } from "node:timers/promises";

/** Polls `check` until it returns a value, failing after `ms` with `what` and the last error or state. */
export async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>, describe?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const state = describe ? await describe().catch((e: unknown) => String(e)) : last ? String(last) : "";
      throw new Error(`timed out after ${ms} ms waiting for ${what}${state ? `: ${state}` : ""}`);
    }
    await sleep(200);
  }
}
