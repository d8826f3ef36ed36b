import { z } from "zod";

/** A command line, run without a shell like Azure Batch; write `/bin/sh -c "…"` for shell features. */
export function commandLine(description: string) {
  return z
    .string()
    .min(1, { error: "must not be empty" })
    .max(32768)
    .describe(`${description} Run without a shell (like Azure Batch): use /bin/sh -c "…" for pipes, variables or globs.`);
}
