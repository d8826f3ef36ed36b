// The exponential back-off between a task's attempts, one function for both places that retry:
// a container task's next Pod (the operator: 10 s doubling to 6 min, like the Kubernetes Job
// controller) and a node task's next start of its command line (the agent: 1 s doubling to 60 s).

export type Backoff = { baseMs: number; maxMs: number };

/** The wait after `n` failures before this one (0-based: the first wait is the base), doubling each time, at most the cap. */
export function backoffMs(backoff: Backoff, n: number): number {
  // 2^n overflows to Infinity for large n (unlimited retries): the cap still holds.
  return Math.min(backoff.baseMs * 2 ** Math.max(0, n), backoff.maxMs);
}
