import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashBackoff, jitteredBackoffMs } from './backoff.ts';

const crashCases: Record<string, { runs: number[]; want: number[] }> = {
  'immediate, then 10 s doubling': { runs: [0, 0, 0, 0], want: [0, 10_000, 20_000, 40_000] },
  'capped at 300 s': { runs: Array(8).fill(1000), want: [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000] },
  'reset after a 10 minute run': { runs: [0, 0, 0, 600_000, 0], want: [0, 10_000, 20_000, 0, 10_000] },
};
for (const [name, tc] of Object.entries(crashCases)) {
  test(`CrashBackoff: ${name}`, () => {
    const b = new CrashBackoff();
    assert.deepEqual(tc.runs.map((r) => b.next(r)), tc.want);
  });
}

const jitterCases: Record<string, { attempt: number; random: number; want: number }> = {
  'first attempt, low jitter': { attempt: 0, random: 0, want: 500 },
  'first attempt, high jitter': { attempt: 0, random: 1, want: 1500 },
  'doubles': { attempt: 3, random: 0.5, want: 8000 },
  'capped': { attempt: 20, random: 0.5, want: 30_000 },
};
for (const [name, tc] of Object.entries(jitterCases)) {
  test(`jitteredBackoffMs: ${name}`, () => {
    assert.equal(jitteredBackoffMs(tc.attempt, 1000, 30_000, () => tc.random), tc.want);
  });
}
