// Small numeric helpers for the benchmark report.
import { eventually } from "../../local-cluster/probe.ts";

/** Nearest-rank percentile (p in 0..100) of an unsorted list; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export type Percentiles = { n: number; p50: number; p90: number; p99: number; max: number };

export function percentiles(values: readonly number[]): Percentiles {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : Number.NaN),
  };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export function until<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>, detail?: () => Promise<string>): Promise<T> {
  return eventually(what, timeoutMs, check, detail, { everyMs });
}

