// The template language of `kubatch task add` and of task collections: `{name}`-style
// placeholders filled from each input item. Shell forms such as `${HOME}` and `{print $1}` are
// left alone, so a typo like `{nmae}` is refused instead of reaching the task verbatim. One
// implementation for the CLI (which expands templates itself), the API's validation and the
// node agent (which expands a collection's template per item).

/** What one input item (a blob, a file, a number) offers to templates. */
export interface TemplateVars {
  /** `{}` / `{item}`: the blob name, the file's absolute path, the list item, or the number. */
  item: string;
  /** `{index}`: 0-based position in the input. */
  index: number;
  /** `{name}`: base name of the blob or file (the number for ranges). */
  name: string;
  blobUrl?: string;
  blobName?: string;
}

/** Every placeholder, by the word between its braces (`{}` is the empty word). */
export const PLACEHOLDERS = ["", "item", "index", "name", "blobUrl", "blobName"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
/** The placeholders only a blob source fills. */
export const BLOB_PLACEHOLDERS = ["blobUrl", "blobName"] as const satisfies readonly Placeholder[];
export const KNOWN_PLACEHOLDERS = PLACEHOLDERS.map((p) => `{${p}}`).join(", ");

// `{{` and `}}` are literal braces; `${x}` is the shell's; `{word}` is ours.
const TOKEN = /\{\{|\}\}|(\$?)\{([A-Za-z_]*)\}/g;

/** The placeholders a template uses, and its unknown `{word}`s as written (`{nmae}`). */
export function scanTemplate(template: string): { used: Set<Placeholder>; unknown: string[] } {
  const used = new Set<Placeholder>();
  const unknown: string[] = [];
  for (const m of template.matchAll(TOKEN)) {
    if (m[1] === "$" || m[0] === "{{" || m[0] === "}}") continue;
    const p = m[2] as Placeholder;
    if (PLACEHOLDERS.includes(p)) used.add(p);
    else unknown.push(m[0]);
  }
  return { used, unknown };
}

/** Why a template is refused (its first unknown placeholder), or undefined when it is not. */
export function templateProblem(template: string): string | undefined {
  const [first] = scanTemplate(template).unknown;
  return first === undefined ? undefined : `unknown placeholder ${first} (known: ${KNOWN_PLACEHOLDERS}; write {{ and }} for literal braces)`;
}

/**
 * Fills a template's placeholders. `quote` (for command lines) turns each value into what the
 * text so far needs for it to stay one word (see shell-quote.ts); names, environment values and
 * output paths take values as they are. A placeholder without a value is left as written.
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
