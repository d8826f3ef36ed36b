// Leader election on a lease, as client-go's leaderelection does it:
// - acquire: try every retry period until the lease is ours;
// - lead and renew at once: onStartedLeading runs beside the renew loop (a cache sync longer
//   than the lease never lets the lease lapse);
// - renew under a deadline: each renewal, retried every retry period, must succeed within
//   renewDeadline, and every request carries that deadline, so a hung call cannot stall it;
// - expiry by the local clock: another holder's lease counts as expired only when its record
//   has not changed for leaseDuration since this process last saw it change (remote
//   renewTimes are never compared with the local clock: clocks differ);
// - on a lost lease the signal given to onStartedLeading aborts, stopping everything at once;
// - holdsLease() fences the leader's writes: true only while its last renewal began less than
//   renewDeadline ago by its own monotonic clock (a wall clock stepped back by NTP cannot
//   stretch it), so a process frozen past that (SIGSTOP, a VM pause)
//   knows it on waking before any of its timers fires — its I/O callbacks may run first.
// Writes carry the record's version, so two replicas can never both take the lease.
import { errorMessage } from "../../../kube/errors.ts";

/** The lease's fields (coordination.k8s.io/v1 LeaseSpec). Times are RFC 3339 micro-times. */
export type LeaseRecord = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
};

/** Where the lease lives; every call honours `signal`. update fails when `version` is stale. */
export interface LeaseStore {
  get(signal: AbortSignal): Promise<{ record: LeaseRecord; version: string } | undefined>;
  create(record: LeaseRecord, signal: AbortSignal): Promise<void>;
  update(record: LeaseRecord, version: string, signal: AbortSignal): Promise<void>;
}

export interface Clock {
  /** Wall-clock ms, only for the times written into the lease record. */
  now(): number;
  /** Monotonic ms, for every interval this elector measures: never stepped by NTP or an operator. */
  monotonic(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** A signal that aborts after `ms`. */
  timeout(ms: number): AbortSignal;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
  timeout: (ms) => AbortSignal.timeout(ms),
};

export type LeaderElectionConfig = {
  store: LeaseStore;
  identity: string;
  /** How long a lease that stopped changing keeps others out. Shorter than client-go's 15 s, so a dead leader is replaced within about 12 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down; below leaseDurationMs, so it stops before anyone else may take over. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  log: (line: string) => void;
};

export type LeaderCallbacks = {
  /** Runs beside the renew loop; `signal` aborts when the lease is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): Promise<void> | void;
  /** Called once when a lease that was held is lost (not on stop()). */
  onStoppedLeading(): void;
};

export type Leadership = {
  /** Whether this process holds the lease now. */
  leading(): boolean;
  /** Whether this process may act as the leader at this instant: leading, and its last renewal began within renewDeadline. */
  holdsLease(): boolean;
  /** Stops electing and, if leading, hands the lease over at once instead of letting it expire. */
  stop(): Promise<void>;
};

const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");
const sameRecord = (a: LeaseRecord | undefined, b: LeaseRecord | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class LeaderElector {
  private readonly store: LeaseStore;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  /** The record as last seen, and the local time it was last seen to change. */
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  /** The local time the last successful acquire or renewal began. */
  private renewedAt = -Infinity;
  private readonly stopping = new AbortController();
  private leader: AbortController | undefined;

  private readonly config: LeaderElectionConfig;

  constructor(config: LeaderElectionConfig) {
    this.config = config;
    this.store = config.store;
    this.clock = config.clock ?? realClock;
    this.leaseMs = config.leaseDurationMs ?? 10_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 7_000;
    this.retryMs = config.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseMs) throw new Error("leader election: renewDeadline must be shorter than leaseDuration");
  }

  /** One attempt: takes the lease when it is free, ours, or unchanged for its duration; true when we hold it after. */
  async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.monotonic();
    const wall = iso(this.clock.now());
    const mine: LeaseRecord = { holderIdentity: this.config.identity, leaseDurationSeconds: Math.ceil(this.leaseMs / 1000), acquireTime: wall, renewTime: wall, leaseTransitions: 0 };
    const current = await this.store.get(signal);
    if (!current) {
      await this.store.create(mine, signal);
      this.see(mine, now);
      this.renewedAt = now;
      return true;
    }
    const { record, version } = current;
    if (!sameRecord(record, this.observed)) this.see(record, now);
    const held = record.holderIdentity === this.config.identity;
    const durationMs = (record.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
    if (record.holderIdentity && !held && this.observedAt + durationMs > now) return false;
    const next: LeaseRecord = held
      ? { ...record, leaseDurationSeconds: mine.leaseDurationSeconds, renewTime: mine.renewTime }
      : { ...mine, leaseTransitions: (record.leaseTransitions ?? 0) + 1 };
    await this.store.update(next, version, signal);
    this.see(next, now);
    this.renewedAt = now;
    return true;
  }

  /** Elects until stop(); leads whenever it holds the lease. Call once. */
  start(callbacks: LeaderCallbacks): Leadership {
    const running = this.run(callbacks);
    return {
      leading: () => this.leader !== undefined,
      holdsLease: () => this.leader !== undefined && this.clock.monotonic() - this.renewedAt < this.renewDeadlineMs,
      stop: async () => {
        this.stopping.abort();
        await running;
        if (this.leader) await this.release();
      },
    };
  }

  private async run(callbacks: LeaderCallbacks): Promise<void> {
    const stopping = this.stopping.signal;
    while (!stopping.aborted) {
      if ((await this.attempt(this.clock.timeout(this.renewDeadlineMs))) !== "ours") {
        await this.clock.sleep(this.retryMs, stopping);
        continue;
      }
      const leader = (this.leader = new AbortController());
      this.config.log(`leader election: ${this.config.identity} leads`);
      // Leading starts beside the renewals, never in their way.
      void Promise.resolve()
        .then(() => callbacks.onStartedLeading(leader.signal))
        .catch((err: unknown) => this.config.log(`leader election: leading failed: ${errorMessage(err)}`));
      while (!stopping.aborted) {
        await this.clock.sleep(this.retryMs, stopping);
        if (stopping.aborted) return;
        const lost = await this.renew();
        if (lost !== undefined) {
          this.config.log(`leader election: ${lost}; stepping down`);
          this.leader = undefined;
          leader.abort(new Error("lost the leader lease"));
          callbacks.onStoppedLeading();
          break;
        }
      }
    }
  }

  /**
   * Renews, retrying every retry period, until it works or the renew deadline passes; a lease
   * another replica holds (this one was frozen or cut off past it) is lost at once. Returns
   * why the lease is lost, or undefined while it is ours (or the elector stops).
   */
  private async renew(): Promise<string | undefined> {
    const deadline = this.clock.timeout(this.renewDeadlineMs);
    const either = AbortSignal.any([this.stopping.signal, deadline]);
    while (!either.aborted) {
      const result = await this.attempt(deadline);
      if (result === "ours" || this.stopping.signal.aborted) return undefined;
      if (result === "theirs") return `the lease is held by ${this.observed?.holderIdentity}`;
      await this.clock.sleep(this.retryMs, either);
    }
    return this.stopping.signal.aborted ? undefined : `could not renew the lease within ${this.renewDeadlineMs} ms`;
  }

  /** ours: this replica holds the lease; theirs: another one does; failed: the call failed. */
  private async attempt(deadline: AbortSignal): Promise<"ours" | "theirs" | "failed"> {
    try {
      return (await this.tryAcquireOrRenew(AbortSignal.any([this.stopping.signal, deadline]))) ? "ours" : "theirs";
    } catch (err) {
      if (!this.stopping.signal.aborted) this.config.log(`leader election: ${errorMessage(err)}`);
      return "failed";
    }
  }

  /** Hands the lease over at once (an empty holder is free to take) instead of letting it expire. */
  private async release(): Promise<void> {
    this.leader?.abort(new Error("stopped"));
    this.leader = undefined;
    const signal = this.clock.timeout(this.renewDeadlineMs);
    const current = await this.store.get(signal).catch(() => undefined);
    if (current?.record.holderIdentity !== this.config.identity) return;
    await this.store.update({ ...current.record, holderIdentity: "", renewTime: undefined }, current.version, signal).catch(() => undefined);
  }

  private see(record: LeaseRecord, at: number): void {
    this.observed = record;
    this.observedAt = at;
  }
}
