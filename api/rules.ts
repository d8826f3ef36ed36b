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

/** Unicode code points, as CEL's size() counts a string (JS's length counts UTF-16 units). */
export function characters(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * A bound on the characters of a list's entries together, at `field` of the object the rule is
 * attached to. A list within its maxItems and maxLength can still come near etcd's 1.5 MiB
 * request limit, whose refusal is a 500 naming no field; this refusal names the list.
 */
export function totalCharactersRule<T, E>(o: {
  field: string;
  of: (self: T) => readonly E[] | undefined;
  /** CEL for one entry `e`'s size. */
  celSize: string;
  /** The same in TypeScript. */
  size: (e: E) => number;
  max: number;
  message: string;
}): CrossFieldRule<T> {
  return {
    rule: `!has(self.${o.field}) || self.${o.field}.map(e, ${o.celSize}).sum() <= ${o.max}`,
    message: o.message,
    fieldPath: `.${o.field}`,
    holds: (self) => (o.of(self) ?? []).reduce((n, e) => n + o.size(e), 0) <= o.max,
  };
}
