import assert from "node:assert/strict";
import { test } from "node:test";
import { pendingReleases, type ReleaseWaitInput } from "./release-wait.ts";

const now = new Date("2026-11-29T12:00:10Z");
const job = { endTime: "2026-11-29T12:00:00Z", release: { maxWallClockTime: "PT1M" } };

test("an auto pool waits for the release tasks of the nodes that ran its job, bounded", async (t) => {
  const cases: Record<string, { input: Partial<ReleaseWaitInput>; want: ReturnType<typeof pendingReleases> }> = {
    "no release task: go": { input: { job: { endTime: job.endTime } }, want: undefined },
    "no node ran the job: go": { input: { ranOn: new Set() }, want: undefined },
    "two nodes owe their release: wait until 12:01:30": { input: {}, want: { nodes: ["n1", "n2"], waitMs: 80_000 } },
    "one reported (completed), one still owes": { input: { reported: ["node n2: exit code 0 in 0.1s"] }, want: { nodes: ["n1"], waitMs: 80_000 } },
    "both reported, one failed: go": { input: { reported: ["node n1: exit code 3", "node n2: exit code 0"] }, want: undefined },
    "past the release's wall clock and the margin: go": { input: { now: new Date("2026-11-29T12:01:31Z") }, want: undefined },
    "default PT15M wall clock": { input: { job: { endTime: job.endTime, release: {} } }, want: { nodes: ["n1", "n2"], waitMs: 15 * 60_000 + 30_000 - 10_000 } },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(pendingReleases({ job, ranOn: new Set(["n1", "n2"]), reported: [], now, ...c.input }), c.want));
  }
});
