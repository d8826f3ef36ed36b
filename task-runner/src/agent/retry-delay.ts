// How long a node task waits before a retry. The first retry starts at once, as in Azure Batch
// (a flaky task with maxTaskRetryCount 3 is not slowed down); from the second on the agent backs
// off, 1 s doubling to 60 s, so maxTaskRetryCount -1 with a command that always fails starts it
// about once a minute instead of dozens of times a second. Attempts lost with the tasks container
// or the agent count the same.
import { backoffMs, type Backoff } from "../../../api/retry-backoff.ts";

const nodeTaskBackoff: Backoff = { baseMs: 1_000, maxMs: 60_000 };

/** A wait at least this long is written to the task's status (retryCount, lastRetryTime), so `kubectl get` shows it retrying. */
export const reportedRetryWaitMs = 5_000;

/** The wait before retry `retry` (1 is the first retry, the task's second attempt). */
export function retryDelayMs(retry: number): number {
  return retry <= 1 ? 0 : backoffMs(nodeTaskBackoff, retry - 2);
}
