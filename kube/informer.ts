// A list-watch cache that keeps running. @kubernetes/client-node's ListWatch relists on 410
// and reconnects after its 30 s inactivity timeout, but any other error stops it for good:
// here an error restarts it with jittered exponential backoff, and a watchdog restarts a
// watch that has shown no sign of life (no event, no reconnect) for too long. It also keeps
// what a health check needs (health()): when its loop last got an outcome, and when the API
// server last answered it.
import { performance } from "node:perf_hooks";
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { errorMessage } from "./errors.ts";

export type EventKind = "add" | "update" | "delete";

export type InformerOptions<T extends KubernetesObject> = {
  kubeConfig: KubeConfig;
  /** The watch path, e.g. `/api/v1/pods` or `/apis/kubatch.dev/v1alpha1/pools`. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  onEvent: (kind: EventKind, obj: T) => void;
  log?: (line: string) => void;
  /** Restart when neither an event nor a reconnect was seen for this long. */
  staleAfterMs?: number;
  /**
   * What the cache keeps of each object, as listed or watched (fields no reader needs left
   * out): handlers and readers only ever see the projection.
   */
  project?: (obj: T) => T;
};

/** How an informer's list-watch loop fares, for health checks (ms on the monotonic clock). */
export type WatchHealth = {
  /** The watch path. */
  path: string;
  /** The first list has filled the cache. */
  synced: boolean;
  /**
   * Since the loop last got an outcome of any kind: a list answered or failed, a watch
   * event, a watch that opened, ended or failed to open. Every call ends within its deadline
   * (kube-config.ts) and a quiet watch ends after 30 s, so a loop that still turns has one
   * every minute or so, whatever the API server does; 0 while not started.
   */
  sinceOutcomeMs: number;
  /** Since the API server last answered: a list, a watch event, a watch that opened; 0 while not started. */
  sinceAnswerMs: number;
};

/** A Watch that tells its informer how each watch request fared. */
class ObservedWatch extends Watch {
  private readonly outcome: (answered: boolean) => void;
  private readonly project: ((obj: never) => unknown) | undefined;
  constructor(kc: KubeConfig, outcome: (answered: boolean) => void, project?: (obj: never) => unknown) {
    super(kc);
    this.outcome = outcome;
    this.project = project;
  }

  override async watch(...[path, params, callback, done]: Parameters<Watch["watch"]>): Promise<AbortController> {
    let ended = false;
    const project = this.project;
    // An ERROR event carries a Status, a BOOKMARK only a resourceVersion: neither is projected.
    const projected: typeof callback = project ? (phase, obj, watchObj) => callback(phase, phase === "ERROR" || phase === "BOOKMARK" ? obj : project(obj as never), watchObj) : callback;
    try {
      const controller = await super.watch(path, params, projected, (err) => {
        ended = true;
        this.outcome(false);
        done(err);
      });
      // Returned without having ended: the API server answered 200 and the stream is open.
      if (!ended) this.outcome(true);
      return controller;
    } catch (err) {
      this.outcome(false);
      throw err;
    }
  }
}

export class Informer<T extends KubernetesObject> {
  private readonly watchList: ListWatch<T>;
  private readonly opts: InformerOptions<T>;
  private lastActivity = Date.now();
  private failures = 0;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private hasSynced = false;
  private listed = false;
  private lastOutcome = performance.now();
  private lastAnswer = performance.now();
  /** Further handlers (addHandler), called after onEvent. */
  private readonly handlers: ((kind: EventKind, obj: T) => void)[] = [];

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    // ListWatch reports a failed list through its error callback and returns normally:
    // remember whether the last list worked, so start() only claims a synced cache if it did.
    const list = async () => {
      this.listed = false;
      try {
        const result = await opts.list();
        if (opts.project) result.items = result.items.map(opts.project);
        this.listed = true;
        this.outcome(true);
        return result;
      } catch (err) {
        this.outcome(false);
        throw err;
      }
    };
    const watch = new ObservedWatch(opts.kubeConfig, (answered) => this.outcome(answered), opts.project as ((obj: never) => unknown) | undefined);
    this.watchList = new ListWatch<T>(opts.path, watch, list, false, opts.labelSelector, opts.fieldSelector);
    const seen = (kind: EventKind) => (obj: T) => {
      this.lastActivity = Date.now();
      this.failures = 0;
      this.outcome(true);
      opts.onEvent(kind, obj);
      for (const handler of this.handlers) handler(kind, obj);
    };
    this.watchList.on("add", seen("add"));
    this.watchList.on("update", seen("update"));
    this.watchList.on("delete", seen("delete"));
    this.watchList.on("connect", () => {
      this.lastActivity = Date.now();
    });
    // Before the first sync, start() retries by itself; after it, errors restart the watch.
    this.watchList.on("error", (err: unknown) => {
      if (this.hasSynced) this.restartLater(err);
    });
  }

  /** Resolves after the first list has filled the cache. */
  async start(): Promise<void> {
    this.stopped = false;
    this.lastActivity = Date.now();
    this.lastOutcome = this.lastAnswer = performance.now();
    const staleAfter = this.opts.staleAfterMs ?? 120_000;
    this.watchdog = setInterval(() => {
      if (!this.stopped && Date.now() - this.lastActivity > staleAfter) this.restartLater(new Error(`no watch activity for ${staleAfter} ms`));
    }, Math.min(staleAfter, 30_000));
    this.watchdog.unref();
    for (;;) {
      try {
        await this.watchList.start();
        if (!this.listed) throw new Error("the initial list failed");
        this.hasSynced = true;
        return;
      } catch (err) {
        if (this.stopped) return;
        const delay = this.nextDelay();
        this.opts.log?.(`informer ${this.opts.path}: initial list failed (${errorMessage(err)}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Another handler of this informer's events (a second controller fed by the same cache); like onEvent it should only enqueue. */
  addHandler(handler: (kind: EventKind, obj: T) => void): void {
    this.handlers.push(handler);
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  health(now = performance.now()): WatchHealth {
    const running = !this.stopped;
    return {
      path: this.opts.path,
      synced: this.hasSynced,
      sinceOutcomeMs: running ? Math.max(0, now - this.lastOutcome) : 0,
      sinceAnswerMs: running ? Math.max(0, now - this.lastAnswer) : 0,
    };
  }

  get(name: string, namespace?: string): T | undefined {
    return this.watchList.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.watchList.list(namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    await this.watchList.stop();
  }

  /** The watch's own restarts are not outcomes: only what a request to the API server came to. */
  private outcome(answered: boolean): void {
    this.lastOutcome = performance.now();
    if (answered) this.lastAnswer = this.lastOutcome;
  }

  private nextDelay(): number {
    const base = Math.min(1_000 * 2 ** this.failures, 30_000);
    this.failures++;
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private restartLater(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.nextDelay();
    this.opts.log?.(`informer ${this.opts.path}: ${errorMessage(err)}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.lastActivity = Date.now();
      try {
        await this.watchList.stop();
        await this.watchList.start();
      } catch (e) {
        this.restartLater(e);
      }
    }, delay);
  }
}
