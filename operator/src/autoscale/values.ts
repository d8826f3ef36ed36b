// Runtime values. Timestamps are UTC milliseconds since the epoch; time intervals are
// milliseconds as doubles (TimeInterval_100ns is 0.0001). Booleans are doubles 1/0.
import type { DeallocationOption, TimestampField } from "./names.ts";

export type Value =
  | { type: "double"; value: number }
  | { type: "doubleVec"; value: number[] }
  | { type: "string"; value: string }
  | { type: "timestamp"; value: number }
  | { type: "timeinterval"; value: number }
  | { type: "option"; value: DeallocationOption };

export const double = (value: number): Value => ({ type: "double", value });
export const doubleVec = (value: number[]): Value => ({ type: "doubleVec", value });
export const bool = (b: boolean): Value => double(b ? 1 : 0);
export const timestamp = (value: number): Value => ({ type: "timestamp", value });
export const timeinterval = (value: number): Value => ({ type: "timeinterval", value });

export function typeName(v: Value): string {
  return v.type === "option" ? "NodeDeallocationOption keyword" : v.type;
}

/** A double, or a one-element doubleVec (GetSample(1)) where a double is needed. */
export function asDouble(v: Value): number | undefined {
  if (v.type === "double") return v.value;
  if (v.type === "doubleVec" && v.value.length === 1) return v.value[0];
  return undefined;
}

export function timestampField(ms: number, field: TimestampField): number {
  const d = new Date(ms);
  switch (field) {
    case "year":
      return d.getUTCFullYear();
    case "month":
      return d.getUTCMonth() + 1;
    case "day":
      return d.getUTCDate();
    case "weekday":
      return ((d.getUTCDay() + 6) % 7) + 1; // 1 = Monday … 7 = Sunday
    case "hour":
      return d.getUTCHours();
    case "minute":
      return d.getUTCMinutes();
    case "second":
      return d.getUTCSeconds();
  }
}

/** Doubles as .NET prints them (shortest round trip, 'E' exponent). */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  if (Object.is(n, -0)) return "0";
  return String(n).replace("e", "E");
}

/** A time interval as a .NET TimeSpan prints: [-][d.]hh:mm:ss[.fffffff]. */
export function formatInterval(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const ticks = Math.round(Math.abs(ms) * 10_000); // 100 ns ticks
  const totalSeconds = Math.floor(ticks / 10_000_000);
  const fraction = ticks % 10_000_000;
  const days = Math.floor(totalSeconds / 86_400);
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = `${two(Math.floor(totalSeconds / 3600) % 24)}:${two(Math.floor(totalSeconds / 60) % 60)}:${two(totalSeconds % 60)}`;
  return `${sign}${days ? `${days}.` : ""}${clock}${fraction ? `.${String(fraction).padStart(7, "0")}` : ""}`;
}

export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "Invalid" : d.toISOString();
}

/** How a value appears in the result string. */
export function formatValue(v: Value): string {
  switch (v.type) {
    case "double":
      return formatDouble(v.value);
    case "doubleVec":
      return `[${v.value.map(formatDouble).join(",")}]`;
    case "string":
    case "option":
      return v.value;
    case "timestamp":
      return formatTimestamp(v.value);
    case "timeinterval":
      return formatInterval(v.value);
  }
}
