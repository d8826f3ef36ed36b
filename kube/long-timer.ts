// Node's timers hold at most 2^31-1 ms (~24.8 days): a longer delay fires after 1 ms. Every
// timer a duration from a spec can reach (a task's maxWallClockTime, a requeue for a job's
// deadline) goes through here, chaining timeouts, so `P30D` waits 30 days.

/** The longest delay one setTimeout holds. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

/** Calls `fn` once after `delayMs`, however long; Infinity (or NaN) never calls it. `unref`: it does not keep the process alive. */
export function setLongTimeout(fn: () => void, delayMs: number, opts: { unref?: boolean } = {}): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  const due = Date.now() + delayMs;
  // Each leg recomputes what is left from the wall clock, so the legs do not drift.
  const arm = () => {
    const left = due - Date.now();
    if (left > MAX_TIMEOUT_MS) timer = setTimeout(arm, MAX_TIMEOUT_MS);
    else timer = setTimeout(fn, Math.max(0, left));
    if (opts.unref) timer.unref();
  };
  if (Number.isFinite(delayMs)) arm();
  return { cancel: () => clearTimeout(timer) };
}
