import { z } from "zod";

/** An environment variable for a task (Azure Batch EnvironmentSetting). */
export const environmentSettingSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[!-<>-~]+$/, { error: "must be printable ASCII without spaces or '='" })
    .describe("Name of the environment variable."),
  value: z.string().max(32768).optional().describe("Value of the environment variable."),
});

export type EnvironmentSetting = z.infer<typeof environmentSettingSchema>;

export function environmentSettings(description: string) {
  return z.array(environmentSettingSchema).max(1000).optional().describe(description);
}
