// Sampled variables and their methods. A series holds the samples taken so far; the sample
// period (default 30 s) is what window percentages are measured against: a 15-minute
// window at 30 s expects 30 samples.
import { ErrorCode, evaluationError, FormulaError, type Position } from "./errors.ts";
import type { SampledVariable } from "./names.ts";
import { asDouble, double, doubleVec, formatDouble, timeinterval, timestamp, typeName, type Value } from "./values.ts";
import { parseTime } from "./time-parse.ts";

export interface Sample {
  /** When the sample was taken: a Date, epoch milliseconds or an ISO 8601 string. */
  timestamp: Date | number | string;
  value: number;
}

/** Samples in time order, none later than "now". */
export interface Series {
  times: number[];
  values: number[];
}

export const DEFAULT_SAMPLE_PERIOD_SECONDS = 30;
/** Reports of Azure's behaviour show this minimum when a time-window GetSample gives no percentage. */
export const DEFAULT_SAMPLE_PERCENT = 70;

/** A time as ms; a string is read as time() reads one (W3C-DTF or RFC 1123, UTC without a zone), NaN otherwise. */
export function toMillis(t: Date | number | string): number {
  return t instanceof Date ? t.getTime() : typeof t === "number" ? t : (parseTime(t) ?? NaN);
}

export function normalizeSeries(samples: readonly Sample[] | undefined, now: number): Series {
  const points = (samples ?? [])
    .map((s) => ({ t: toMillis(s.timestamp), v: s.value }))
    .filter((p) => Number.isFinite(p.t) && p.t <= now && typeof p.v === "number" && Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
  return { times: points.map((p) => p.t), values: points.map((p) => p.v) };
}

export interface MethodContext {
  variable: SampledVariable;
  /** The method name's position. */
  pos: Position;
  /** The '(' after the method name: where InsufficientSampleData points. */
  open: Position;
  argPos: Position[];
  now: number;
  periodMs: number;
}

function insufficient(ctx: MethodContext, wanted: number, received: number): FormulaError {
  return new FormulaError(
    ErrorCode.insufficientSampleData,
    ctx.open,
    `Insufficient data from data set: ${ctx.variable} wanted ${formatDouble(wanted)}%, received ${Math.floor(received)}%`,
  );
}

/** A window bound: a timestamp, or a time interval meaning "that long ago". */
function instant(v: Value, i: number, ctx: MethodContext, method: string): number {
  if (v.type === "timestamp") return v.value;
  if (v.type === "timeinterval") return ctx.now - v.value;
  throw evaluationError(ctx.argPos[i] ?? ctx.pos, `${method}() argument ${i + 1} must be a timestamp or a time interval, got ${typeName(v)}`);
}

function percentArg(v: Value, i: number, ctx: MethodContext): number {
  const p = asDouble(v);
  if (p === undefined || !(p >= 0 && p <= 100)) {
    throw evaluationError(ctx.argPos[i] ?? ctx.pos, `the sample percentage must be a double between 0 and 100, got ${p === undefined ? typeName(v) : formatDouble(p)}`);
  }
  return p;
}

interface Window {
  values: number[];
  percent: number;
}

function window(series: Series, a: number, b: number, ctx: MethodContext): Window {
  // Bounds in either order ($CPUPercent.GetSample(TimeInterval_Minute * 0, TimeInterval_Minute * 10) is published).
  const from = Math.min(a, b);
  const to = Math.max(a, b);
  const values: number[] = [];
  series.times.forEach((t, i) => {
    if (t > from && t <= to) values.push(series.values[i]!);
  });
  // received / (duration / period) · 100, multiplied out first to keep whole percentages whole.
  const duration = to - from;
  const percent = duration > 0 ? Math.min(100, (values.length * ctx.periodMs * 100) / duration) : values.length > 0 ? 100 : 0;
  return { values, percent };
}

export function callSampleMethod(series: Series, method: string, args: Value[], ctx: MethodContext): Value {
  switch (method) {
    case "GetSample": {
      const first = args[0]!;
      if (args.length === 1 && first.type !== "timestamp" && first.type !== "timeinterval") {
        // GetSample(count): the last N samples, however old; fewer if the history is shorter
        // (Azure returns what it has), and InsufficientSampleData only when it has none.
        const count = asDouble(first);
        if (count === undefined || !Number.isInteger(count) || count < 1) {
          throw evaluationError(ctx.argPos[0] ?? ctx.pos, `GetSample() takes a whole number of samples (at least 1), a timestamp or a time interval, got ${count === undefined ? typeName(first) : formatDouble(count)}`);
        }
        const have = series.values.length;
        if (have === 0) throw insufficient(ctx, 100, 0);
        return doubleVec(series.values.slice(Math.max(0, have - count)));
      }
      const start = instant(first, 0, ctx, method);
      let end = ctx.now;
      let pct = DEFAULT_SAMPLE_PERCENT;
      if (args.length >= 2) {
        const second = args[1]!;
        if (second.type === "timestamp" || second.type === "timeinterval") {
          end = instant(second, 1, ctx, method);
          if (args.length === 3) pct = percentArg(args[2]!, 2, ctx);
        } else if (args.length === 2) {
          pct = percentArg(second, 1, ctx);
        } else {
          throw evaluationError(ctx.argPos[1] ?? ctx.pos, `GetSample(start, end, percent): end must be a timestamp or a time interval, got ${typeName(second)}`);
        }
      }
      const w = window(series, start, end, ctx);
      if (w.percent < pct) throw insufficient(ctx, pct, w.percent);
      return doubleVec(w.values);
    }
    case "GetSamplePercent": {
      const start = instant(args[0]!, 0, ctx, method);
      const end = args.length > 1 ? instant(args[1]!, 1, ctx, method) : ctx.now;
      return double(window(series, start, end, ctx).percent);
    }
    case "GetSamplePeriod":
      return timeinterval(ctx.periodMs);
    case "Count":
      return double(series.values.length);
    case "HistoryBeginTime": {
      const first = series.times[0];
      if (first === undefined) throw evaluationError(ctx.pos, `${ctx.variable} has no samples yet, so it has no history begin time`);
      return timestamp(first);
    }
  }
  throw evaluationError(ctx.pos, `unknown method '${method}'`);
}
