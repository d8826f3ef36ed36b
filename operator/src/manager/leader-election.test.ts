import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../controller/reconcile-harness.ts";
import { LeaderElector, type LeaseRecord, type LeaseStore } from "./leader-election.ts";

/** A lease in memory, with optimistic concurrency; it can fail or hang (until the call's signal aborts). */
class MemoryStore implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  mode: "ok" | "fail" | "hang" = "ok";
  /** Holder of every successful write, in order. */
  writes: string[] = [];
  private async gate(signal: AbortSignal): Promise<void> {
    if (this.mode === "fail") throw new Error("the API server is unavailable");
    if (this.mode === "hang") await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }));
  }
  async get(signal: AbortSignal) {
    await this.gate(signal);
    return this.record && { record: { ...this.record }, version: String(this.version) };
  }
  async create(record: LeaseRecord, signal: AbortSignal) {
    await this.gate(signal);
    if (this.record) throw new Error("409 AlreadyExists");
    this.write(record);
  }
  /** Runs once before the next update is checked (another replica writing in between). */
  beforeUpdate: (() => void) | undefined;
  async update(record: LeaseRecord, version: string, signal: AbortSignal) {
    await this.gate(signal);
    const before = this.beforeUpdate;
    this.beforeUpdate = undefined;
    before?.();
    if (version !== String(this.version)) throw new Error("409 Conflict");
    this.write(record);
  }
  /** A write by a replica this test does not run. */
  write(record: LeaseRecord) {
    this.record = JSON.parse(JSON.stringify(record)) as LeaseRecord;
    this.version++;
    this.writes.push(record.holderIdentity ?? "");
  }
}

const leaseMs = 10_000;
const renewDeadlineMs = 7_000;
const retryMs = 2_000;

function elector(store: LeaseStore, clock: FakeClock, identity: string, start: (signal: AbortSignal) => Promise<void> | void = () => {}) {
  const events: string[] = [];
  let signal: AbortSignal | undefined;
  const e = new LeaderElector({ store, clock, identity, leaseDurationMs: leaseMs, renewDeadlineMs, retryPeriodMs: retryMs, log: () => {} });
  const leadership = e.start({
    onStartedLeading: (s) => {
      signal = s;
      events.push(`started@${clock.now()}`);
      return start(s);
    },
    onStoppedLeading: () => events.push(`stopped@${clock.now()}`),
  });
  return { leadership, events, signal: () => signal };
}

type Harness = { clock: FakeClock; store: MemoryStore };

const cases: Record<string, (h: Harness) => Promise<void>> = {
  "a free lease is taken and leading starts at once": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    assert.equal(a.leadership.leading(), true);
    assert.equal(a.events.length, 1);
    assert.equal(store.record?.holderIdentity, "a");
    await a.leadership.stop();
  },
  "a lease another replica keeps renewing is never taken; stopping leaves it alone": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const b = elector(store, clock, "b");
    await clock.advance(5 * leaseMs);
    assert.equal(b.leadership.leading(), false);
    assert.deepEqual(b.events, []);
    assert.ok(store.writes.every((w) => w === "a"));
    const writes = store.writes.length;
    await b.leadership.stop();
    assert.equal(store.writes.length, writes, "a replica that never led writes nothing on stop");
    await a.leadership.stop();
  },
  "a lease that stopped changing is taken leaseDuration after it was last seen to change, whatever its renewTime says": async ({ clock, store }) => {
    // Written by a replica whose clock runs an hour ahead: its renewTime lies in our future.
    const ahead = new Date(clock.now() + 3_600_000).toISOString();
    store.record = { holderIdentity: "gone", leaseDurationSeconds: leaseMs / 1000, renewTime: ahead, acquireTime: ahead, leaseTransitions: 3 };
    const a = elector(store, clock, "a");
    await clock.advance(leaseMs - retryMs);
    assert.equal(a.leadership.leading(), false, "not before leaseDuration");
    await clock.advance(2 * retryMs);
    assert.equal(a.leadership.leading(), true, "taken after leaseDuration of no change");
    assert.equal(store.record?.leaseTransitions, 4);
    await a.leadership.stop();
  },
  "a renewTime long past does not make a lease expired before this process saw it unchanged for leaseDuration": async ({ clock, store }) => {
    // Written by a replica whose clock runs an hour behind (the old check took this at once).
    const behind = new Date(clock.now() - 3_600_000).toISOString();
    store.record = { holderIdentity: "other", leaseDurationSeconds: leaseMs / 1000, renewTime: behind, acquireTime: behind, leaseTransitions: 0 };
    const a = elector(store, clock, "a");
    await clock.advance(leaseMs - retryMs);
    assert.equal(a.leadership.leading(), false);
    assert.equal(store.record?.holderIdentity, "other");
    await a.leadership.stop();
  },
  "a start that takes longer than the lease keeps the lease renewed meanwhile": async ({ clock, store }) => {
    const a = elector(store, clock, "a", () => new Promise(() => {})); // a cache sync that never ends
    await clock.advance(0);
    const b = elector(store, clock, "b");
    await clock.advance(5 * leaseMs);
    assert.equal(a.leadership.leading(), true);
    assert.equal(b.leadership.leading(), false);
    assert.ok(store.writes.length >= (5 * leaseMs) / retryMs, `renewed ${store.writes.length} times`);
    assert.ok(store.writes.every((w) => w === "a"));
    await Promise.all([a.leadership.stop(), b.leadership.stop()]);
  },
  "a renewal that hangs ends by the renew deadline: leadership stops before the lease could pass to another": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const lastRenew = clock.now();
    store.mode = "hang";
    await clock.advance(retryMs + renewDeadlineMs);
    assert.equal(a.leadership.leading(), false);
    assert.equal(a.signal()?.aborted, true, "the leader's signal aborts");
    const stoppedAt = Number(a.events.find((e) => e.startsWith("stopped@"))?.split("@")[1]);
    assert.ok(stoppedAt - lastRenew < leaseMs, `stopped ${stoppedAt - lastRenew} ms after the last renewal`);
    await a.leadership.stop();
  },
  "a leader frozen past its renew deadline may not act the instant it wakes, before any of its timers fire; a renewal that lands restores it": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(retryMs);
    assert.equal(a.leadership.holdsLease(), true);
    clock.jump(leaseMs + 5_000); // SIGSTOP, then SIGCONT: no timer of it has run yet
    assert.equal(a.leadership.leading(), true, "its renew loop has not noticed yet");
    assert.equal(a.leadership.holdsLease(), false, "but its writes are fenced at once");
    await clock.advance(retryMs); // nobody took the lease meanwhile: the next renewal keeps it
    assert.equal(a.leadership.holdsLease(), true);
    assert.ok(store.writes.every((w) => w === "a"));
    await a.leadership.stop();
  },
  "a leader that finds another replica holding the lease (it was frozen past it) steps down at its next renewal, not after the renew deadline, and writes nothing": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const since = clock.now();
    store.write({ holderIdentity: "b", leaseDurationSeconds: leaseMs / 1000, leaseTransitions: 1 });
    const writes = store.writes.length;
    await clock.advance(retryMs);
    assert.deepEqual(a.events, [`started@${since}`, `stopped@${since + retryMs}`]);
    assert.equal(a.signal()?.aborted, true);
    await a.leadership.stop();
    assert.equal(store.writes.length, writes, "neither a renewal nor a release over b's lease");
    assert.equal(store.record?.holderIdentity, "b");
  },
  "a wall clock stepped back an hour does not stretch the fence: renewals failing, writes stop renewDeadline after the last renewal began": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    store.mode = "fail";
    clock.stepWall(-3_600_000);
    await clock.advance(renewDeadlineMs);
    assert.equal(a.leadership.holdsLease(), false, "fenced by monotonic time, not by the stepped wall clock");
    await a.leadership.stop();
  },
  "wall clocks stepped forward an hour on both replicas: the leader keeps its lease and the other never takes it": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const b = elector(store, clock, "b");
    await clock.advance(retryMs);
    clock.stepWall(3_600_000);
    await clock.advance(3 * leaseMs);
    assert.equal(a.leadership.holdsLease(), true);
    assert.equal(b.leadership.leading(), false);
    assert.ok(store.writes.every((w) => w === "a"));
    assert.equal(store.record?.leaseTransitions, 0);
    await Promise.all([a.leadership.stop(), b.leadership.stop()]);
  },
  "a leader whose renewals fail may not act from renewDeadline after its last renewal began, before it steps down": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const renewed = clock.now();
    store.mode = "fail";
    await clock.advance(renewDeadlineMs - 1);
    assert.equal(a.leadership.holdsLease(), true, "within the deadline");
    await clock.advance(1);
    assert.equal(a.leadership.holdsLease(), false, `fenced ${clock.now() - renewed} ms after the renewal began`);
    assert.equal(a.leadership.leading(), true, "still retrying its renewal");
    await clock.advance(retryMs + 1);
    assert.deepEqual(a.events.map((e) => e.split("@")[0]), ["started", "stopped"]);
    assert.equal(a.leadership.holdsLease(), false);
    await a.leadership.stop();
  },
  "failing renewals are retried within the deadline, then leadership stops": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    store.mode = "fail";
    await clock.advance(retryMs + renewDeadlineMs - 3_000); // three failed tries, the deadline not yet passed
    assert.equal(a.leadership.leading(), true, "still within the deadline");
    store.mode = "ok";
    await clock.advance(retryMs);
    assert.equal(a.leadership.leading(), true, "a renewal within the deadline keeps the lease");
    assert.deepEqual(a.events.map((e) => e.split("@")[0]), ["started"]);
    store.mode = "fail";
    await clock.advance(retryMs + renewDeadlineMs + 1);
    assert.deepEqual(a.events.map((e) => e.split("@")[0]), ["started", "stopped"]);
    await a.leadership.stop();
  },
  "after a lost lease it stands by and can lead again": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    store.mode = "fail";
    await clock.advance(retryMs + renewDeadlineMs + 1);
    store.mode = "ok";
    await clock.advance(retryMs);
    assert.deepEqual(a.events.map((e) => e.split("@")[0]), ["started", "stopped", "started"]);
    await a.leadership.stop();
  },
  "stop hands the lease over: another replica takes it at once": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const b = elector(store, clock, "b");
    await clock.advance(retryMs);
    await a.leadership.stop();
    assert.equal(store.record?.holderIdentity, "");
    await clock.advance(retryMs);
    assert.equal(b.leadership.leading(), true);
    await b.leadership.stop();
  },
  "two replicas starting together: one leads, the other never does while it renews": async ({ clock, store }) => {
    const a = elector(store, clock, "a");
    const b = elector(store, clock, "b");
    for (let i = 0; i < 20; i++) {
      await clock.advance(retryMs / 2);
      assert.ok(!(a.leadership.leading() && b.leadership.leading()), "never both");
    }
    assert.equal([a, b].filter((x) => x.leadership.leading()).length, 1);
    await Promise.all([a.leadership.stop(), b.leadership.stop()]);
  },
  "renewals move renewTime only: the holder's acquireTime and leaseTransitions stay": async ({ clock, store }) => {
    store.record = { holderIdentity: "", leaseTransitions: 4 };
    const a = elector(store, clock, "a");
    await clock.advance(0);
    const taken = { ...store.record };
    await clock.advance(3 * retryMs);
    assert.equal(store.record?.acquireTime, taken.acquireTime);
    assert.equal(store.record?.leaseTransitions, 5, "one transition: the take");
    assert.notEqual(store.record?.renewTime, taken.renewTime);
    await a.leadership.stop();
  },
  "another replica writing between the read and the update wins: this one does not lead": async ({ clock, store }) => {
    store.record = { holderIdentity: "", leaseTransitions: 0 };
    store.beforeUpdate = () => store.write({ holderIdentity: "b", leaseDurationSeconds: leaseMs / 1000, leaseTransitions: 1 });
    const a = elector(store, clock, "a");
    await clock.advance(0);
    assert.equal(a.leadership.leading(), false);
    assert.deepEqual(a.events, []);
    assert.equal(store.record?.holderIdentity, "b");
    await a.leadership.stop();
  },
  "a leader whose start fails keeps the lease": async ({ clock, store }) => {
    const a = elector(store, clock, "a", () => Promise.reject(new Error("cache sync failed")));
    await clock.advance(2 * leaseMs);
    assert.equal(a.leadership.leading(), true);
    assert.ok(store.writes.length > 1 && store.writes.every((w) => w === "a"));
    await a.leadership.stop();
  },
};

describe("leader election", () => {
  it("refuses a renew deadline that is not shorter than the lease", () =>
    assert.throws(() => new LeaderElector({ store: new MemoryStore(), identity: "a", leaseDurationMs: 5_000, renewDeadlineMs: 5_000, log: () => {} }), /renewDeadline must be shorter/));
  for (const [name, scenario] of Object.entries(cases)) it(name, () => scenario({ clock: new FakeClock(), store: new MemoryStore() }));
});
