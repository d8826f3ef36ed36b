// When a container task's next attempt may start. Like the Kubernetes Job controller, a failed
// attempt is retried after a back-off that doubles from 10 s up to 6 min, so a fast-failing
// image with maxTaskRetryCount -1 makes a Pod every 6 minutes, not as fast as the API allows.

export const RETRY_BACKOFF_BASE_MS = 10_000;
export const RETRY_BACKOFF_MAX_MS = 6 * 60_000;

/** The wait after attempt `retry` (0-based) failed: base · 2^retry, at most RETRY_BACKOFF_MAX_MS. */
export function retryBackoffMs(retry: number, baseMs = RETRY_BACKOFF_BASE_MS): number {
  return Math.min(baseMs * 2 ** retry, RETRY_BACKOFF_MAX_MS);
}

export type AttemptEnd = {
  /** The attempt that ended (the Pod's retry label). */
  retry: number;
  /** A non-zero exit or a lost Pod: maxTaskRetryCount applies. */
  retryable: boolean;
  /** The task's or job's maxTaskRetryCount; -1 is unlimited. */
  maxRetries: number;
  /** What is left of the task's maxWallClockTime, if it has one. */
  wallClockLeftMs?: number;
  /** When the attempt ended (ms since the epoch). */
  endedAt: number;
  now: number;
  baseMs?: number;
};

export type NextAttempt = { kind: "complete" } | { kind: "wait"; afterMs: number } | { kind: "retry"; retry: number };

/** What follows an ended attempt: the task completes, waits out its back-off, or starts the next attempt. */
export function nextAttempt(a: AttemptEnd): NextAttempt {
  const retriesLeft = a.maxRetries < 0 || a.retry < a.maxRetries;
  if (!a.retryable || !retriesLeft || (a.wallClockLeftMs !== undefined && a.wallClockLeftMs <= 0)) return { kind: "complete" };
  const due = a.endedAt + retryBackoffMs(a.retry, a.baseMs);
  return a.now < due ? { kind: "wait", afterMs: due - a.now } : { kind: "retry", retry: a.retry + 1 };
}
