// When a container task's next attempt may start. Like the Kubernetes Job controller, a failed
// attempt is followed by a back-off of 10 s, doubling with every further failure up to 6 min,
// so maxTaskRetryCount -1 with an image that fails at once makes a Pod every 6 minutes instead
// of as fast as the API server allows. The back-off counts from when the attempt ended (its
// container's finishedAt), not from when the operator saw it: a restart does not reset it.
import { backoffMs, type Backoff } from "../../../api/retry-backoff.ts";

const containerTaskBackoff: Backoff = { baseMs: 10_000, maxMs: 6 * 60_000 };

/** The back-off after attempt `retry` (0-based: 0 is the first attempt, so its failure is the first) failed. */
export function retryBackoffMs(retry: number): number {
  return backoffMs(containerTaskBackoff, retry);
}

/**
 * When the attempt after `retry`, which ended at `endedAtMs`, is due, and how long is left from
 * `nowMs` (0 once due). What is left never exceeds the back-off itself: a kubelet clock ahead of
 * the operator's does not stretch it.
 */
export function retryDue(retry: number, endedAtMs: number, nowMs: number): { dueMs: number; waitMs: number } {
  const backoff = retryBackoffMs(retry);
  const dueMs = endedAtMs + backoff;
  return { dueMs, waitMs: Math.min(Math.max(0, dueMs - nowMs), backoff) };
}
