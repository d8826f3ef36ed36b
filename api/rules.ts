import type { z } from "zod";

/**
 * A cross-field rule, written twice side by side: as a CEL expression for the API server
 * (emitted as `x-kubernetes-validations` by the CRD generator, at the paths its override
 * table names) and as a TypeScript predicate that the zod schema checks.
 */
export interface CrossFieldRule<T> {
  /** CEL evaluated by the API server with `self` bound to the object the rule is attached to. */
  rule: string;
  /** The message both the API server and the parse functions report. */
  message: string;
  /** Where the problem is reported, relative to the object (`.filePath`); absent = the object itself. */
  fieldPath?: string;
  /** The same rule in TypeScript, on the defaulted object (the API server also validates after defaulting). */
  holds: (self: T) => boolean;
}

/** The part of a rule the CRD carries. */
export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
}

export function celValidations(rules: readonly CrossFieldRule<never>[]): CelValidation[] {
  return rules.map(({ rule, message, fieldPath }) => (fieldPath === undefined ? { rule, message } : { rule, message, fieldPath }));
}

/** Attaches `rules` to `schema` as zod checks reporting at each rule's fieldPath. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  return schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (!r.holds(value)) {
        ctx.addIssue({
          code: "custom",
          message: r.message,
          path: (r.fieldPath ?? "").split(".").filter((p) => p !== ""),
        });
      }
    }
  });
}

/** A count of the given values that are present (not undefined). */
export function countPresent(...values: unknown[]): number {
  return values.filter((v) => v !== undefined).length;
}
