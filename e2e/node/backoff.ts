// Delays: the kubelet's crash-loop backoff for container restarts, and jittered
// exponential backoff for retrying API calls and restarting the informer.

export const crashBackoffInitialMs = 10_000;
export const crashBackoffMaxMs = 300_000;
/** A container that ran this long before exiting starts its backoff over. */
export const crashBackoffResetAfterMs = 600_000;

/**
 * Kubelet-like restart backoff: the first restart is immediate, then 10 s doubling up to
 * 300 s; a run of at least 10 minutes resets it.
 */
export class CrashBackoff {
  #failures = 0;

  /** Records an exit after `ranForMs` and returns how long to wait before the restart. */
  next(ranForMs: number): number {
    if (ranForMs >= crashBackoffResetAfterMs) this.#failures = 0;
    const delay = this.#failures === 0 ? 0 : Math.min(crashBackoffInitialMs * 2 ** (this.#failures - 1), crashBackoffMaxMs);
    this.#failures++;
    return delay;
  }
}

/** Exponential backoff with ±50 % jitter: attempt 0 → ~base, doubling up to max. */
export function jitteredBackoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** attempt, maxMs);
  return Math.round(raw * (0.5 + random()));
}
