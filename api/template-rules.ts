// The template checks as cross-field rules: the scanner (template.ts) for zod, and the same
// decision in CEL for the API server. CEL has no tokenizer, so the CEL form rewrites the text
// with literal replacements — left to right and non-overlapping, as the scanner reads — until
// every `{word}` left is one the scanner would take for a placeholder: `{{` becomes `##` (in a
// run of braces the scanner too pairs them from the left), `${` becomes `$#` (the shell's
// `${x}`), then each allowed placeholder becomes `#`; a `{word}` still there is unknown.
// `#` is neither a brace, a word character nor `$`, so no replacement makes a new `{word}`.
// template-rules.test.ts runs the CEL form's steps in JS against the scanner on every short
// string of braces, dollars and words.
import type { CrossFieldRule } from "./rules.ts";
import { BLOB_PLACEHOLDERS, KNOWN_PLACEHOLDERS, PLACEHOLDERS, scanTemplate, type Placeholder } from "./template.ts";

/** The rewrite that leaves only the `{word}`s the scanner reads as placeholders. */
const NEUTRAL: readonly (readonly [string, string])[] = [
  ["{{", "##"],
  ["${", "$#"],
];

/** The CEL form of a check: replacements in order, then `pattern` searched for (or `contains`). */
export interface CelTemplateCheck {
  replacements: readonly (readonly [string, string])[];
  /** `matches` (an RE2 search): true means the check fails. */
  pattern?: RegExp;
  /** `contains` any of these: true means the check fails. */
  contains?: readonly string[];
}

/** Unknown placeholders, given the ones allowed. */
export function unknownPlaceholderCheck(allowed: readonly Placeholder[] = PLACEHOLDERS): CelTemplateCheck {
  return { replacements: [...NEUTRAL, ...allowed.map((p) => [`{${p}}`, "#"] as const)], pattern: /\{[A-Za-z_]*\}/ };
}

/** Uses of {blobUrl} or {blobName}. */
export const blobPlaceholderCheck: CelTemplateCheck = { replacements: NEUTRAL, contains: BLOB_PLACEHOLDERS.map((p) => `{${p}}`) };

const celString = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** CEL that is true when the check fails on the string `expr`. */
export function celFails(check: CelTemplateCheck, expr: string): string {
  const text = expr + check.replacements.map(([from, to]) => `.replace(${celString(from)}, ${celString(to)})`).join("");
  if (check.pattern) return `${text}.matches(${celString(check.pattern.source)})`;
  return (check.contains ?? []).map((c) => `${text}.contains(${celString(c)})`).join(" || ");
}

/** The CEL form evaluated in JS (String.replaceAll is left to right and non-overlapping, as CEL's replace). */
export function celFormFails(check: CelTemplateCheck, value: string): boolean {
  const text = check.replacements.reduce((s, [from, to]) => s.replaceAll(from, to), value);
  return check.pattern ? check.pattern.test(text) : (check.contains ?? []).some((c) => text.includes(c));
}

export const unknownPlaceholderMessage = `has an unknown placeholder (known: ${KNOWN_PLACEHOLDERS}; write {{ and }} for literal braces)`;

/**
 * The template at `field` (a path below the object the rule is attached to, e.g. `commandLine`
 * or `destination.container.path`) has no unknown placeholder; absent passes.
 */
export function knownPlaceholdersRule<T>(field: string, of: (self: T) => string | undefined): CrossFieldRule<T> {
  return {
    rule: `!has(self.${field}) || !(${celFails(unknownPlaceholderCheck(), `self.${field}`)})`,
    message: unknownPlaceholderMessage,
    fieldPath: `.${field}`,
    holds: (self) => {
      const template = of(self);
      return template === undefined || scanTemplate(template).unknown.length === 0;
    },
  };
}

/** Whether a template uses {blobUrl} or {blobName} (the scanner's answer). */
export function usesBlobPlaceholder(template: string | undefined): boolean {
  if (template === undefined) return false;
  const { used } = scanTemplate(template);
  return BLOB_PLACEHOLDERS.some((p) => used.has(p));
}
