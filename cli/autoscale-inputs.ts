// The pool an offline `kubatch pool autoscale --samples FILE` evaluates against: sample
// histories and the pool's counts, as JSON. Checked here so a bad file names its field.
import { z } from "zod";
import { formatProblems, parseWith } from "../api/parse.ts";
import { DEALLOCATION_OPTIONS, parseTime, SAMPLED_VARIABLES, type FormulaInputs } from "../operator/src/autoscale/index.ts";
import { CliError, readOptionFile } from "./usage.ts";

// Read as the formula's time() reads a time: W3C-DTF or RFC 1123, UTC when no zone is given.
const timestamp = z.string().refine((s) => parseTime(s) !== undefined, "not a timestamp (e.g. 2024-05-01T09:30:00Z)");
const count = z.number().int().min(0);

export const autoscaleInputsSchema = z
  .object({
    /** Each sampled variable's history, oldest first or in any order: `{ "$ActiveTasks": [{ "timestamp": "…", "value": 3 }] }`. */
    samples: z.partialRecord(z.enum(SAMPLED_VARIABLES), z.array(z.object({ timestamp, value: z.number() }).strict())).default({}),
    /** The period the samples were taken at (Azure's: 30). */
    samplePeriodSeconds: z.number().positive().optional(),
    currentDedicatedNodes: count.optional(),
    currentLowPriorityNodes: count.optional(),
    targetDedicatedNodes: count.optional(),
    targetLowPriorityNodes: count.optional(),
    taskSlotsPerNode: z.number().int().min(1).optional(),
    usableNodeCount: count.optional(),
    nodeDeallocationOption: z.enum(DEALLOCATION_OPTIONS).optional(),
  })
  .strict();

export type AutoscaleInputs = z.output<typeof autoscaleInputsSchema>;

/** The file's inputs for evaluateFormula, at `time` (default: the clock); a CliError naming the file and field when they are bad. */
export function readAutoscaleInputs(path: string, time?: string): FormulaInputs {
  const text = readOptionFile(`--samples ${path}`, path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--samples ${path}: not JSON (${(err as Error).message})`);
  }
  const parsed = parseWith(autoscaleInputsSchema, json);
  if (!parsed.ok) throw new CliError(`--samples ${path}: ${formatProblems(parsed.problems)}`);
  const now = time === undefined ? Date.now() : parseTime(time);
  if (now === undefined) throw new CliError(`--time "${time}" is not a timestamp (e.g. 2024-05-01T09:30:00Z)`);
  return { ...parsed.value, now };
}
