import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readGranted } from "./secret-read.ts";

const refused = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

describe("readGranted", () => {
  const cases: Record<string, { answers: (number | "ok")[]; want: "ok" | number; reads: number; waited: number[] }> = {
    "granted at once": { answers: ["ok"], want: "ok", reads: 1, waited: [] },
    "granted after two refusals": { answers: [403, 403, "ok"], want: "ok", reads: 3, waited: [250, 500] },
    "never granted: the refusal after the wait": { answers: Array(20).fill(403), want: 403, reads: 10, waited: [250, 500, 1000, 2000, 2000, 2000, 2000, 2000, 2000] },
    "not found is not retried": { answers: [404, "ok"], want: 404, reads: 1, waited: [] },
    "a server error is not retried here": { answers: [500, "ok"], want: 500, reads: 1, waited: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      let t = 0;
      let reads = 0;
      const waited: number[] = [];
      const read = async () => {
        const a = tc.answers[reads++]!;
        if (a === "ok") return "ok";
        throw refused(a);
      };
      const got = await readGranted(read, { waitMs: 15_000, now: () => t, sleep: async (ms) => void (waited.push(ms), (t += ms)) }).then(
        (v) => v,
        (err: { code: number }) => err.code,
      );
      assert.equal(got, tc.want);
      assert.equal(reads, tc.reads);
      assert.deepEqual(waited, tc.waited);
    });
  }
});
