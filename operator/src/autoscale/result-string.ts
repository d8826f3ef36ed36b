// Azure's autoScaleRun.results text: the two targets and the deallocation option first, then
// the formula's own variables in alphabetical order, all as `name=value` joined by ';'.
import type { DeallocationOption } from "./names.ts";
import { formatDouble, formatValue, type Value } from "./values.ts";

export interface ResultEntry {
  name: string;
  value: string;
}

export interface ResultParts {
  /** Name as the formula wrote it (an assigned alias is echoed as the alias) and the raw value. */
  dedicated: { name: string; value: number };
  lowPriority: { name: string; value: number };
  nodeDeallocationOption: DeallocationOption;
  /** The formula's own variables with their last values, in any order. */
  user: ReadonlyMap<string, Value>;
}

// Case-insensitive first so `$b` sorts before `$C`, then ordinal to keep the order total.
const alphabetical = (a: string, b: string) => {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

export function resultEntries(parts: ResultParts): ResultEntry[] {
  return [
    { name: parts.dedicated.name, value: formatDouble(parts.dedicated.value) },
    { name: parts.lowPriority.name, value: formatDouble(parts.lowPriority.value) },
    { name: "$NodeDeallocationOption", value: parts.nodeDeallocationOption },
    ...[...parts.user.keys()].sort(alphabetical).map((name) => ({ name, value: formatValue(parts.user.get(name)!) })),
  ];
}

export function formatResults(entries: readonly ResultEntry[]): string {
  return entries.map((e) => `${e.name}=${e.value}`).join(";");
}
