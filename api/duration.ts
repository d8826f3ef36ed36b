import { z } from "zod";

/**
 * Durations are strings in either of two forms:
 * - Go form, as `kubectl` users write them: `90s`, `1h30m`, `1.5h`, `250ms`, `0`;
 * - ISO 8601, as Azure Batch users write them: `PT15M`, `P7D`, `P1DT12H`, `PT0.5S`, `P2W`.
 * ISO years and months are refused: they have no fixed length.
 *
 * Azure Batch's "unlimited" is .NET's TimeSpan.MaxValue, which its SDKs and exported
 * templates write as `P10675199DT2H48M5.4775807S`: that value, or anything longer, means no
 * limit. parseDuration returns UNLIMITED_MS for all of them (still a valid Date offset, so
 * arithmetic on it stays safe); `isUnlimited` tells a caller to set no limit at all.
 */
const GO_DURATION = String.raw`0|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|μs|ms|s|m|h))+`;
const ISO_SECONDS = String.raw`[0-9]+(?:\.[0-9]+)?S`;
const ISO_TIME = String.raw`T(?:[0-9]+H(?:[0-9]+M)?(?:${ISO_SECONDS})?|[0-9]+M(?:${ISO_SECONDS})?|${ISO_SECONDS})`;
const ISO_DURATION = String.raw`P(?:[0-9]+W|[0-9]+D(?:${ISO_TIME})?|${ISO_TIME})`;

/** Matches every accepted duration (RE2-compatible, so it is also the CRD's `pattern`). */
export const DURATION_PATTERN = new RegExp(`^(?:${GO_DURATION}|${ISO_DURATION})$`);

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const ISO_UNIT_MS: Record<string, number> = {
  W: 7 * 86_400_000,
  D: 86_400_000,
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
};

export const FORMS = `expected a Go duration such as "90s" or "1h30m", or an ISO 8601 duration such as "PT15M" or "P7D"`;

/** Why `text` is not a duration (undefined when it is one). */
export function durationProblem(text: unknown): string | undefined {
  if (typeof text !== "string") return `expected a duration string, ${FORMS}`;
  if (DURATION_PATTERN.test(text)) return undefined;
  if (text.startsWith("-")) return `invalid duration "${text}": durations cannot be negative`;
  if (/^p/.test(text)) return `invalid duration "${text}": ISO 8601 designators are upper case ("PT15M")`;
  if (text.startsWith("P") && /[YM]/.test(text.slice(1).split("T")[0] ?? "")) {
    return `invalid duration "${text}": ISO 8601 years and months have no fixed length; use days (P30D) or weeks (P4W)`;
  }
  return `invalid duration "${text}": ${FORMS}`;
}

export class DurationError extends Error {
  override name = "DurationError";
}

/** Azure Batch's unlimited duration (TimeSpan.MaxValue) as it writes it. */
export const UNLIMITED_DURATION = "P10675199DT2H48M5.4775807S";
/** TimeSpan.MaxValue in milliseconds (9223372036854775807 ticks of 100 ns). */
export const UNLIMITED_MS = 922_337_203_685_477.5807;

/** Whether a parsed duration means "no limit" (Azure Batch's TimeSpan.MaxValue or longer). */
export function isUnlimited(ms: number): boolean {
  return ms >= UNLIMITED_MS;
}

/** Parses a duration (Go or ISO 8601 form) into milliseconds, UNLIMITED_MS at most; throws DurationError with a clear message. */
export function parseDuration(text: string): number {
  const problem = durationProblem(text);
  if (problem !== undefined) throw new DurationError(problem);
  if (text === "0") return 0;
  let total = 0;
  if (text.startsWith("P")) {
    for (const [, value, unit] of text.slice(1).replace("T", "").matchAll(/([0-9.]+)([WDHMS])/g)) {
      total += Number(value) * ISO_UNIT_MS[unit!]!;
    }
  } else {
    for (const [, value, unit] of text.matchAll(/([0-9.]+)(ns|us|µs|μs|ms|s|m|h)/g)) {
      total += Number(value) * GO_UNIT_MS[unit!]!;
    }
  }
  // Summing in floating point may land a fraction of a millisecond below TimeSpan.MaxValue.
  return total >= UNLIMITED_MS - 1 ? UNLIMITED_MS : total;
}

/** Formats milliseconds in Go form (`1h30m`, `90s`, `250ms`), the inverse of parseDuration for whole milliseconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new DurationError(`cannot format ${ms} ms as a duration`);
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1_000], ["ms", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || "0s";
}

/** A duration field. */
export function duration(description: string): z.ZodString {
  return z
    .string()
    .max(64)
    .regex(DURATION_PATTERN, { error: (issue) => durationProblem(issue.input) ?? "invalid duration" })
    .describe(`${description} A duration: Go form ("90s", "1h30m") or ISO 8601 ("PT15M", "P7D").`);
}
