import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "./work-queue.ts";

const tick = () => new Promise((r) => setImmediate(r));

test("a key added many times before it is handled is handled once", async () => {
  const q = new WorkQueue();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) q.add("ns/a");
  q.add("ns/b");
  assert.equal(q.depth, 2);
  const done = q.run(async (key) => void seen.push(key));
  await tick();
  q.shutdown();
  await done;
  assert.deepEqual(seen, ["ns/a", "ns/b"]);
});

test("a key added while it is handled is handled again afterwards, never concurrently", async () => {
  const q = new WorkQueue();
  let running = 0;
  let maxRunning = 0;
  const seen: string[] = [];
  let release!: () => void;
  const firstHeld = new Promise<void>((r) => (release = r));
  const done = q.run(async (key) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    seen.push(key);
    if (seen.length === 1) await firstHeld;
    running--;
  }, 3);
  q.add("ns/a");
  await tick();
  q.add("ns/a"); // while the first is held
  q.add("ns/a");
  await tick();
  assert.deepEqual(seen, ["ns/a"], "not handled twice at once");
  release();
  for (let i = 0; i < 5 && seen.length < 2; i++) await tick();
  q.shutdown();
  await done;
  assert.deepEqual(seen, ["ns/a", "ns/a"]);
  assert.equal(maxRunning, 1);
});

test("failures back off exponentially per key up to the maximum, success forgets them", async (t) => {
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
  const cases: Record<string, { failures: number; want: number }> = {
    "first failure": { failures: 0, want: 10 },
    "second failure": { failures: 1, want: 20 },
    "third failure": { failures: 2, want: 40 },
    "capped": { failures: 3, want: 50 },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.equal(q.failureCount("k"), tc.failures);
      assert.equal(q.backoff("k"), tc.want);
    });
  }
  q.forget("k");
  assert.equal(q.backoff("k"), 10);
});

test("a failing handler is retried after its backoff and errors are reported", async () => {
  const errors: string[] = [];
  const q = new WorkQueue({ baseDelayMs: 1, onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) });
  let calls = 0;
  let succeeded!: () => void;
  const success = new Promise<void>((r) => (succeeded = r));
  const done = q.run(async () => {
    calls++;
    if (calls < 3) throw new Error(`boom ${calls}`);
    succeeded();
  });
  q.add("ns/x");
  await success;
  q.shutdown();
  await done;
  assert.equal(calls, 3);
  assert.deepEqual(errors, ["ns/x: boom 1", "ns/x: boom 2"]);
  assert.equal(q.failureCount("ns/x"), 0);
});

test("requeueAfterMs brings the key back later", async () => {
  const q = new WorkQueue();
  const seen: number[] = [];
  let again!: () => void;
  const second = new Promise<void>((r) => (again = r));
  const done = q.run(async () => {
    seen.push(seen.length);
    if (seen.length === 2) again();
    return seen.length === 1 ? { requeueAfterMs: 5 } : undefined;
  });
  q.add("ns/a");
  await second;
  q.shutdown();
  await done;
  assert.equal(seen.length, 2);
});

test("after shutdown adds are ignored and workers stop", async () => {
  const q = new WorkQueue();
  const done = q.run(async () => assert.fail("must not run"), 2);
  q.shutdown();
  q.add("ns/a");
  await done;
  assert.equal(q.depth, 0);
});

// Regression: a long pending delay (a resize timeout check) used to swallow later short ones.
test("an earlier addAfter replaces a later pending one", async () => {
  const q = new WorkQueue();
  const seen: number[] = [];
  let got!: () => void;
  const first = new Promise<void>((r) => (got = r));
  const started = Date.now();
  const done = q.run(async () => {
    seen.push(Date.now() - started);
    got();
  });
  q.addAfter("ns/p", 60_000);
  q.addAfter("ns/p", 10);
  await first;
  q.shutdown();
  await done;
  assert.equal(seen.length, 1);
  assert.ok(seen[0]! < 30_000);
});

test("an aborted signal stops every worker at once: the handler in flight sees it, its failure is not retried, queued keys stay unhandled", async () => {
  const errors: string[] = [];
  const q = new WorkQueue({ baseDelayMs: 1, onError: (key) => errors.push(key) });
  const leading = new AbortController();
  const seen: string[] = [];
  q.add("ns/a");
  q.add("ns/b");
  const done = q.run(
    (key, signal) =>
      new Promise((_, reject) => {
        seen.push(key);
        // A request in flight: it ends when the signal aborts.
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      }),
    1,
    leading.signal,
  );
  await tick();
  leading.abort(new Error("lost the leader lease"));
  await done;
  assert.deepEqual(seen, ["ns/a"]);
  assert.deepEqual(errors, []);
  q.add("ns/c");
  await tick();
  assert.deepEqual(seen, ["ns/a"], "nothing runs after the abort");
});

// Regression: Node fires a setTimeout over 2^31-1 ms after 1 ms, so a job's P4W deadline requeued it ~800 times a second.
test("a requeue weeks or years away waits that long, however far", async (t) => {
  const day = 86_400_000;
  const cases: Record<string, number> = { "P4W": 28 * day, "P30D": 30 * day, "Azure's unlimited (TimeSpan.MaxValue)": 922_337_203_685_477.5807 };
  for (const [name, delayMs] of Object.entries(cases)) {
    await t.test(name, () => {
      t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
      try {
        const q = new WorkQueue();
        q.addAfter("ns/j", delayMs);
        t.mock.timers.tick(Math.min(delayMs - 1, 400 * day));
        assert.equal(q.depth, 0, "not queued early");
        if (delayMs < 400 * day) {
          t.mock.timers.tick(1);
          assert.equal(q.depth, 1, "queued once due");
        }
        q.shutdown();
      } finally {
        t.mock.timers.reset();
      }
    });
  }
});
