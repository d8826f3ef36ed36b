// The names a formula can use besides its own variables: Azure Batch's service-defined
// variables, the TimeInterval_* constants, the deallocation keywords and timestamp fields.

/** Read-only variables with a time series behind them; only their methods can be used. */
export const SAMPLED_VARIABLES = [
  "$CPUPercent",
  "$WallClockSeconds",
  "$MemoryBytes",
  "$DiskBytes",
  "$DiskReadBytes",
  "$DiskWriteBytes",
  "$DiskReadOps",
  "$DiskWriteOps",
  "$NetworkInBytes",
  "$NetworkOutBytes",
  "$SampleNodeCount",
  "$ActiveTasks",
  "$RunningTasks",
  "$PendingTasks",
  "$SucceededTasks",
  "$FailedTasks",
  "$PreemptedNodeCount",
] as const;
export type SampledVariable = (typeof SAMPLED_VARIABLES)[number];

/** Read-only plain values, with the old names that still work. */
export const PLAIN_VARIABLES: Record<string, "currentDedicatedNodes" | "currentLowPriorityNodes" | "taskSlotsPerNode" | "usableNodeCount"> = {
  $CurrentDedicatedNodes: "currentDedicatedNodes",
  $CurrentDedicated: "currentDedicatedNodes",
  $CurrentLowPriorityNodes: "currentLowPriorityNodes",
  $TaskSlotsPerNode: "taskSlotsPerNode",
  $UsableNodeCount: "usableNodeCount",
};

/** Read-write targets: full name and alias share one value; when both are assigned the full name wins. */
export const TARGETS = {
  dedicated: { name: "$TargetDedicatedNodes", alias: "$TargetDedicated" },
  lowPriority: { name: "$TargetLowPriorityNodes", alias: "$TargetLowPriority" },
} as const;
export type TargetKind = keyof typeof TARGETS;

export function targetOf(name: string): TargetKind | undefined {
  if (name === TARGETS.dedicated.name || name === TARGETS.dedicated.alias) return "dedicated";
  if (name === TARGETS.lowPriority.name || name === TARGETS.lowPriority.alias) return "lowPriority";
  return undefined;
}

export const NODE_DEALLOCATION_OPTION = "$NodeDeallocationOption";
export const DEALLOCATION_OPTIONS = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
export type DeallocationOption = (typeof DEALLOCATION_OPTIONS)[number];

export function deallocationKeyword(name: string): DeallocationOption | undefined {
  const lower = name.toLowerCase();
  return (DEALLOCATION_OPTIONS as readonly string[]).includes(lower) ? (lower as DeallocationOption) : undefined;
}

/** TimeInterval_* constants in milliseconds. */
export const TIME_INTERVALS: Record<string, number> = {
  TimeInterval_Zero: 0,
  TimeInterval_100ns: 0.0001,
  TimeInterval_Microsecond: 0.001,
  TimeInterval_Millisecond: 1,
  TimeInterval_Second: 1000,
  TimeInterval_Minute: 60_000,
  TimeInterval_Hour: 3_600_000,
  TimeInterval_Day: 86_400_000,
  TimeInterval_Week: 7 * 86_400_000,
  TimeInterval_Year: 365 * 86_400_000,
};

export const TIMESTAMP_FIELDS = ["year", "month", "day", "weekday", "hour", "minute", "second"] as const;
export type TimestampField = (typeof TIMESTAMP_FIELDS)[number];

export const SAMPLE_METHODS: Record<string, { min: number; max: number }> = {
  GetSample: { min: 1, max: 3 },
  GetSamplePercent: { min: 1, max: 2 },
  GetSamplePeriod: { min: 0, max: 0 },
  Count: { min: 0, max: 0 },
  HistoryBeginTime: { min: 0, max: 0 },
};

export const isSampled = (name: string): name is SampledVariable => (SAMPLED_VARIABLES as readonly string[]).includes(name);

/** Names a formula may not assign. */
export function readOnlyReason(name: string): string | undefined {
  if (isSampled(name)) return `'${name}' is a sampled service variable and is read-only`;
  if (name in PLAIN_VARIABLES) return `'${name}' is a service variable and is read-only`;
  if (name in TIME_INTERVALS || name.startsWith("TimeInterval_")) return `'${name}' is a constant and cannot be assigned`;
  if (deallocationKeyword(name)) return `'${name}' is a keyword (a $NodeDeallocationOption value) and cannot be assigned`;
  return undefined;
}
