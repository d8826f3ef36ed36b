// A de-duplicating work queue keyed by pod: a key is never handled by two workers at
// once; adding a key while it is handled runs it once more afterwards; failures retry
// with jittered backoff. Event handlers only add keys.

import { jitteredBackoffMs } from './backoff.ts';

export class WorkQueue {
  readonly #handler: (key: string) => Promise<void>;
  readonly #concurrency: number;
  readonly #onError: (key: string, err: unknown) => void;
  #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #workers = 0;
  #stopped = false;

  constructor(handler: (key: string) => Promise<void>, opts: { concurrency: number; onError: (key: string, err: unknown) => void }) {
    this.#handler = handler;
    this.#concurrency = opts.concurrency;
    this.#onError = opts.onError;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.add(key);
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  get length(): number {
    return this.#queue.length;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queue = [];
    this.#queued.clear();
  }

  #pump(): void {
    while (this.#workers < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#queued.delete(key);
      this.#active.add(key);
      this.#workers++;
      void this.#run(key);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#handler(key);
      this.#failures.delete(key);
    } catch (err) {
      const n = this.#failures.get(key) ?? 0;
      this.#failures.set(key, n + 1);
      this.#onError(key, err);
      this.addAfter(key, jitteredBackoffMs(n, 200, 30_000));
    } finally {
      this.#active.delete(key);
      this.#workers--;
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }
}
