// Command-line and task-name templates of `kubatch task add`: `{name}`-style placeholders
// filled from each input item. Shell forms such as `${HOME}` and `{print $1}` are left alone,
// so a typo like `{nmae}` is refused instead of reaching the task verbatim.
import { createHash } from "node:crypto";
import { UsageError } from "./usage.ts";

/** What one input item (a blob, a file, a number) offers to templates. */
export interface TemplateVars {
  /** `{}` / `{item}`: the blob name, the file's absolute path, or the number. */
  item: string;
  /** `{index}`: 0-based position in the input. */
  index: number;
  /** `{name}`: base name of the blob or file (the number for ranges). */
  name: string;
  blobUrl?: string;
  blobName?: string;
}

const PLACEHOLDERS = ["", "item", "index", "name", "blobUrl", "blobName"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const KNOWN = PLACEHOLDERS.map((p) => `{${p}}`).join(", ");

// `{{` and `}}` are literal braces; `${x}` is the shell's; `{word}` is ours.
const TOKEN = /\{\{|\}\}|(\$?)\{([A-Za-z_]*)\}/g;

/** The placeholders a template uses; refuses unknown ones, naming the option they came from. */
export function placeholdersOf(template: string, option: string): Set<Placeholder> {
  const used = new Set<Placeholder>();
  for (const m of template.matchAll(TOKEN)) {
    if (m[1] === "$" || m[0] === "{{" || m[0] === "}}") continue;
    const p = m[2] as Placeholder;
    if (!PLACEHOLDERS.includes(p)) throw new UsageError(`${option}: unknown placeholder {${m[2]}} (known: ${KNOWN}; write {{ and }} for literal braces)`);
    used.add(p);
  }
  return used;
}

/** Refuses a template that uses placeholders the input source cannot fill (e.g. {blobUrl} with --range). */
export function checkTemplate(template: string, option: string, available: readonly string[]): void {
  for (const p of placeholdersOf(template, option)) {
    if (p !== "" && !available.includes(p)) throw new UsageError(`${option}: placeholder {${p}} is only available with --from-blobs`);
  }
}

/**
 * Fills a template's placeholders. `quote` (for --command) turns each value into what the text
 * so far needs for it to stay one word (see shell-quote.ts); names, environment values and
 * resource files take values as they are.
 */
export function expandTemplate(template: string, vars: TemplateVars, quote?: (prefix: string, value: string) => string): string {
  let out = "";
  let last = 0;
  for (const m of template.matchAll(TOKEN)) {
    out += template.slice(last, m.index);
    last = m.index + m[0].length;
    const [whole, dollar, p] = m;
    if (whole === "{{" || whole === "}}") out += whole[0];
    else if (dollar === "$") out += whole;
    else {
      const value = p === "" ? vars.item : vars[p as Exclude<Placeholder, "">];
      out += value === undefined ? whole : quote ? quote(out, String(value)) : String(value);
    }
  }
  return out + template.slice(last);
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

/** The default name template: `<job>-task-{index}`. */
export function defaultNameTemplate(job: string): string {
  return `${job}-task-{index}`;
}
