// `--range A..B`: the integers from A to B inclusive, as task items.
import { UsageError } from "./usage.ts";

/** Most items one `--range` may produce (a typo such as 1..10000000 should not allocate them). */
export const MAX_RANGE = 1_000_000;

/** The integers of `text` (`A..B`), at most `max` of them (`what` says where the limit comes from). */
export function parseRange(text: string, max = MAX_RANGE, what = "per command (--collection makes one object of up to 10,000,000)"): { from: number; to: number } {
  const m = /^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--range: "${text}" is not a range of integers A..B (e.g. 1..500)`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new UsageError(`--range: "${text}" has numbers too large`);
  if (from > to) throw new UsageError(`--range: "${text}" is empty (A must not be greater than B)`);
  if (to - from + 1 > max) throw new UsageError(`--range: "${text}" has ${to - from + 1} numbers; at most ${max} ${what}`);
  return { from, to };
}
