// The CLI's edge of the template language (api/template.ts): refusals as usage errors naming
// the option, and the task names that `task add` makes from its name template.
import { createHash } from "node:crypto";
import { scanTemplate, templateProblem, type Placeholder } from "../api/template.ts";
import { UsageError } from "./usage.ts";

/** The placeholders a template uses; refuses unknown ones, naming the option they came from. */
export function placeholdersOf(template: string, option: string): Set<Placeholder> {
  const problem = templateProblem(template);
  if (problem !== undefined) throw new UsageError(`${option}: ${problem}`);
  return scanTemplate(template).used;
}

/** Refuses a template that uses placeholders the input source cannot fill (e.g. {blobUrl} with --range). */
export function checkTemplate(template: string, option: string, available: readonly string[]): void {
  for (const p of placeholdersOf(template, option)) {
    if (p !== "" && !available.includes(p)) throw new UsageError(`${option}: placeholder {${p}} is only available with --from-blobs`);
  }
}

const MAX_NAME = 63;

/**
 * A task name from an expanded name template: a DNS label (lowercase letters, digits, '-',
 * at most 63), which is also a valid Azure Batch task id, so spec.id can default to it.
 * Over-long names keep a hash of the full text so that distinct inputs stay distinct.
 */
export function dnsSafeName(text: string): string {
  let name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (name.length > MAX_NAME) {
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 8);
    name = `${name.slice(0, MAX_NAME - 9).replace(/-+$/, "")}-${hash}`;
  }
  if (name === "") throw new UsageError(`--name-template: "${text}" has no letters or digits to make a task name of`);
  return name;
}

/**
 * The default name template: `<job>-task-{item}` for a --range of non-negative numbers
 * (another range adds other tasks, an overlapping one finds its own), else
 * `<job>-task-{index}` (paths and URLs do not make names; nor do negative numbers).
 */
export function defaultNameTemplate(job: string, range?: string): string {
  // A minus sign is no part of a DNS-safe name: -2 and 2 would get the same one.
  const byItem = range !== undefined && !range.trim().startsWith("-");
  return `${job}-task-${byItem ? "{item}" : "{index}"}`;
}
