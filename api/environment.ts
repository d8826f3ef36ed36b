import { z } from "zod";
import { characters, totalCharactersRule, type CrossFieldRule } from "./rules.ts";

/** An environment variable (Azure Batch EnvironmentSetting) whose value is at most `maxValue` characters. */
export function environmentSettingOf(maxValue: number) {
  return z.strictObject({
    name: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[!-<>-~]+$/, { error: "must be printable ASCII without spaces or '='" })
      .describe("Name of the environment variable."),
    value: z.string().max(maxValue).optional().describe("Value of the environment variable."),
  });
}

/** An environment variable for a task (Azure Batch EnvironmentSetting). */
export const environmentSettingSchema = environmentSettingOf(32768);

export type EnvironmentSetting = z.infer<typeof environmentSettingSchema>;

export function environmentSettings(description: string) {
  return z.array(environmentSettingSchema).max(1000).optional().describe(description);
}

/**
 * All names and values of an environment list together, in characters: 1 MiB, Azure Batch's
 * limit on a task's serialized size. Each value alone may be 32 KiB, so without it a list of
 * 1,000 reaches etcd's 1.5 MiB request limit, whose refusal is a 500 naming no field.
 */
export const maxEnvironmentChars = 1_048_576;

/** The size bound on the environment list at `field` of the object the rule is attached to. */
export function environmentSizeRule<T>(field: string, of: (self: T) => readonly EnvironmentSetting[] | undefined): CrossFieldRule<T> {
  return totalCharactersRule({
    field,
    of,
    celSize: "size(e.name) + (has(e.value) ? size(e.value) : 0)",
    size: (e) => characters(e.name) + characters(e.value ?? ""),
    max: maxEnvironmentChars,
    message: `names and values together must be at most ${maxEnvironmentChars} characters (1 MiB)`,
  });
}
