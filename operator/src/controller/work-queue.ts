// A de-duplicating, rate-limited work queue of `namespace/name` keys, shaped like
// client-go's: a key is queued at most once, never handled by two workers at once, and a
// key added while it is being handled is handled again afterwards. Failures back off
// exponentially per key; success forgets the key's failures.

import { setLongTimeout, type LongTimer } from "../../../kube/long-timer.ts";

export type Outcome = void | { requeueAfterMs: number };
/** Handles one key; `signal` aborts when the queue's owner stops at once (a lost leader lease). */
export type Handler = (key: string, signal: AbortSignal) => Promise<Outcome>;

export type WorkQueueOptions = { baseDelayMs?: number; maxDelayMs?: number; onError?: (key: string, err: unknown, retryInMs: number) => void };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: LongTimer; due: number }>();
  private readonly waiters: (() => void)[] = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onError: WorkQueueOptions["onError"];
  private stopped = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    this.onError = opts.onError;
  }

  /** Keys waiting to be handled (not counting those being handled). */
  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after a delay; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const due = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    pending?.timer.cancel();
    // A long timer: a requeue for a deadline weeks away must not fire after 1 ms.
    const timer = setLongTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs, { unref: true });
    this.timers.set(key, { timer, due });
  }

  /** The next retry delay for a key that failed, and counts the failure. */
  backoff(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Runs `workers` concurrent loops until shutdown, or until `signal` aborts: then the queue
   * shuts down at once, and the handlers in flight see the signal. Resolves when they have all stopped.
   */
  async run(handler: Handler, workers = 1, signal: AbortSignal = new AbortController().signal): Promise<void> {
    const stop = () => this.shutdown();
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    try {
      await Promise.all(Array.from({ length: workers }, () => this.worker(handler, signal)));
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  shutdown(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped && this.queue.length === 0) await new Promise<void>((wake) => this.waiters.push(wake));
    if (this.stopped) return undefined;
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  private async worker(handler: Handler, signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      try {
        const outcome = await handler(key, signal);
        this.forget(key);
        if (outcome && outcome.requeueAfterMs >= 0) this.addAfter(key, outcome.requeueAfterMs);
      } catch (err) {
        // Stopped at once: the error is the abort itself, and nobody will retry here.
        if (signal.aborted) continue;
        const delay = this.backoff(key);
        this.onError?.(key, err, delay);
        this.addAfter(key, delay);
      } finally {
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(key);
      }
    }
  }
}
