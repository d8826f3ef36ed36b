import type { z } from "zod";

/** One reason an object is invalid, naming the field (`spec.startTask.resourceFiles[0]`). */
export interface Problem {
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** `["spec", "resourceFiles", 0, "httpUrl"]` → `spec.resourceFiles[0].httpUrl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(root)" : out;
}

/** `path: message` lines, as used in condition messages and events. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}

function problemsOf(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push({ path: formatPath([...issue.path, key]), message: "unknown field" });
    } else if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that got furthest rather than a bare "Invalid input".
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      const messages = [...new Set(issue.errors.flat().map((i) => i.message))];
      problems.push({ path: formatPath(issue.path), message: best.length === 1 ? messages.join(" or ") : issue.message });
    } else {
      problems.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/** Parses `input` with `schema`, returning the typed value (defaults applied) or every problem found. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsOf(result.error) };
}
