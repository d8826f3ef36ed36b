import { z } from "zod";
import { commandLine } from "./command-line.ts";
import { conditionsSchema } from "./conditions.ts";
import { taskConstraintsSchema } from "./constraints.ts";
import { environmentSettingOf } from "./environment.ts";
import { exitConditionsSchema } from "./exit-conditions.ts";
import { failureInfoSchema } from "./failure-info.ts";
import type { KindNames } from "./group.ts";
import { jobNameFields, jobNameOf, jobNameRules } from "./job-name.ts";
import { authenticationTokenSettingsSchema } from "./job-token.ts";
import { userIdentitySchema } from "./user-identity.ts";
import { storageCredentialsSchema } from "./kubernetes.ts";
import { objectSchema, type Stored } from "./metadata.ts";
import { batchId, httpUrl, timestamp } from "./names.ts";
import { maxOutputFiles, outputFileSchema } from "./output-file.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { resourceFiles } from "./resource-file.ts";
import { taskSlots } from "./retry.ts";
import { characters, countPresent, totalCharactersRule, withRules, type CrossFieldRule } from "./rules.ts";
import { taskDependenciesSchema } from "./task-dependencies.ts";
import { blobPlaceholderCheck, celFails, knownPlaceholdersRule, usesBlobPlaceholder } from "./template-rules.ts";

export const taskCollectionNames: KindNames = {
  kind: "TaskCollection",
  listKind: "TaskCollectionList",
  plural: "taskcollections",
  singular: "taskcollection",
  shortNames: ["ktc"],
  maxNameLength: 253,
};

/** Most items one collection holds (a range's span; a blob source is held to it when listed). */
export const MAX_COLLECTION_ITEMS = 10_000_000;
/** Most strings of `source.items`, each at most `maxItemChars`, all together at most `maxItemsChars` (1 MiB, far under etcd's 1.5 MiB). */
export const MAX_LISTED_ITEMS = 10_000;
export const maxItemChars = 1024;
export const maxItemsChars = 1_048_576;
/** A task id is at most 64 characters; item i's is `<idPrefix>-<i>`, so the prefix leaves room for '-' and the largest index. */
export const MAX_ID_PREFIX = 64 - 1 - String(MAX_COLLECTION_ITEMS - 1).length;
export const ID_PREFIX_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ID_PREFIX}}$`);
/**
 * Bounds of the template's lists and strings that keep the API server's CEL cost estimate of
 * the placeholder checks within its per-rule budget (a check costs about 8 per character, times
 * the list's maxItems); a Task allows 1,000 settings of 32 KiB.
 */
export const MAX_TEMPLATE_ENVIRONMENT = 100;
export const maxTemplateEnvironmentValue = 8192;

const MAX_INT32 = 2147483647;

const rangeObject = z.strictObject({
  start: z.int().min(0).max(MAX_INT32).describe("The first number (item 0), 0..2147483647."),
  end: z.int().min(0).max(MAX_INT32).describe("The last number (inclusive), 0..2147483647."),
});

export const collectionRangeRules: CrossFieldRule<z.output<typeof rangeObject>>[] = [
  { rule: "self.start <= self.end", message: "start must not exceed end", fieldPath: ".end", holds: (r) => r.start <= r.end },
  {
    rule: `self.end - self.start < ${MAX_COLLECTION_ITEMS}`,
    message: `a range holds at most ${MAX_COLLECTION_ITEMS} items (end - start + 1)`,
    fieldPath: ".end",
    holds: (r) => r.end - r.start < MAX_COLLECTION_ITEMS,
  },
];

const blobSourceSchema = z
  .strictObject({
    containerUrl: httpUrl("URL of the blob container; a SAS in its query is used as is, and is part of each {blobUrl}."),
    prefix: z.string().max(1024).optional().describe("Only the blobs whose names start with this prefix."),
    credentialsSecretRef: storageCredentialsSchema.optional().describe("Secret key holding credentials to list the container (connection string or SAS token); a public container or a SAS in the URL needs none."),
  })
  .describe("The blobs of a container (under a prefix), listed in name order by the operator: {item} is the blob's name.");

const sourceObject = z.strictObject({
  range: withRules(rangeObject, collectionRangeRules)
    .optional()
    .describe(`The integers start..end (inclusive), at most ${MAX_COLLECTION_ITEMS}: {item} is the number.`),
  items: z
    .array(z.string().max(maxItemChars))
    .max(MAX_LISTED_ITEMS)
    .optional()
    .describe(`A list of strings (at most ${MAX_LISTED_ITEMS}, each at most ${maxItemChars} characters, 1 MiB together): {item} is the string.`),
  blobs: blobSourceSchema.optional(),
});

export const collectionSourceRules: CrossFieldRule<z.output<typeof sourceObject>>[] = [
  {
    rule: "[has(self.range), has(self.items), has(self.blobs)].filter(x, x).size() == 1",
    message: "exactly one of range, items, blobs",
    holds: (s) => countPresent(s.range, s.items, s.blobs) === 1,
  },
  totalCharactersRule({
    field: "items",
    of: (s: z.output<typeof sourceObject>) => s.items,
    celSize: "size(e)",
    size: characters,
    max: maxItemsChars,
    message: `the items together must be at most ${maxItemsChars} characters (1 MiB)`,
  }),
  {
    // A transition rule (the API server checks it on update): the chunks are cut from the
    // source once (a container listed once), so a new source would not be run.
    rule: "self == oldSelf",
    message: "is immutable: the items were cut into chunks from it; create another collection for other items",
    holds: () => true,
  },
];

const environmentSettingObject = environmentSettingOf(maxTemplateEnvironmentValue);
export const collectionEnvironmentRules = [knownPlaceholdersRule<z.output<typeof environmentSettingObject>>("value", (e) => e.value)];
export const collectionOutputFileRules = [
  knownPlaceholdersRule<z.output<typeof outputFileSchema>>("filePattern", (o) => o.filePattern),
  knownPlaceholdersRule<z.output<typeof outputFileSchema>>("destination.container.path", (o) => o.destination.container.path),
];

const templateObject = z.strictObject({
  commandLine: commandLine(
    "The command line of every item's task, a template: {} or {item}, {index}, {name}, and with source.blobs {blobUrl}, {blobName}; each value is quoted to stay one word. {{ and }} are literal braces; ${VAR} is left for the shell.",
  ),
  environmentSettings: z
    .array(withRules(environmentSettingObject, collectionEnvironmentRules))
    .max(MAX_TEMPLATE_ENVIRONMENT)
    .optional()
    .describe(`Environment variables of every item's task (they win over the job's); the values are templates, filled in unquoted. At most ${MAX_TEMPLATE_ENVIRONMENT}, values at most ${maxTemplateEnvironmentValue} characters.`),
  resourceFiles: resourceFiles("Files downloaded into each item's working directory before it runs; the same for every item (not templates)."),
  outputFiles: z
    .array(withRules(outputFileSchema, collectionOutputFileRules))
    .max(maxOutputFiles)
    .optional()
    .describe("Files uploaded after each item's task ends; filePattern and destination.container.path are templates, filled in unquoted."),
  constraints: taskConstraintsSchema.prefault({}),
  exitConditions: exitConditionsSchema.optional(),
  requiredSlots: taskSlots("Task slots each item's task needs on its node (1..256, at most the pool's taskSlotsPerNode; default 1).").default(1),
  authenticationTokenSettings: authenticationTokenSettingsSchema.optional(),
  userIdentity: userIdentitySchema.optional(),
});

export const collectionTaskRules: CrossFieldRule<z.output<typeof templateObject>>[] = [
  knownPlaceholdersRule("commandLine", (t) => t.commandLine),
  // A succeeded item's folder goes at once, a failed one's stays with the node pod (there is no
  // object per item to delete): another retentionTime is refused, not ignored.
  {
    rule: "self.constraints.retentionTime == 'P7D'",
    message: "constraints.retentionTime of a collection's items is not supported yet: a succeeded item's folder is removed at once, a failed one's kept as long as the node pod (leave it out, or P7D)",
    fieldPath: ".constraints.retentionTime",
    holds: (t) => t.constraints.retentionTime === "P7D",
  },
];

const blobOnly = "uses {blobUrl} or {blobName}, which only source.blobs fills";
const HAS_BLOBS = "has(self.source.blobs)";

const specObject = z.strictObject({
  ...jobNameFields("collection"),
  idPrefix: z
    .string()
    .max(MAX_ID_PREFIX)
    .regex(ID_PREFIX_PATTERN, { error: `must be 1-${MAX_ID_PREFIX} letters, digits, hyphens or underscores` })
    .optional()
    .describe(`Item i's task id is <idPrefix>-<i> (i: the 0-based index in the source); default metadata.name. At most ${MAX_ID_PREFIX} characters.`),
  source: withRules(sourceObject, collectionSourceRules).describe("The items: exactly one of range, items, blobs."),
  task: withRules(templateObject, collectionTaskRules).describe("The task every item runs, made from this template."),
  dependsOn: taskDependenciesSchema.optional().describe("Single tasks every item waits for; the job must set usesTaskDependencies."),
});

type SpecObject = z.output<typeof specObject>;

export const taskCollectionSpecRules: CrossFieldRule<SpecObject>[] = [
  ...jobNameRules<SpecObject>(),
  {
    rule: `${HAS_BLOBS} || !(${celFails(blobPlaceholderCheck, "self.task.commandLine")})`,
    message: blobOnly,
    fieldPath: ".task.commandLine",
    holds: (s) => s.source.blobs !== undefined || !usesBlobPlaceholder(s.task.commandLine),
  },
  {
    rule: `${HAS_BLOBS} || !has(self.task.environmentSettings) || !self.task.environmentSettings.exists(e, has(e.value) && (${celFails(blobPlaceholderCheck, "e.value")}))`,
    message: `a value ${blobOnly}`,
    fieldPath: ".task.environmentSettings",
    holds: (s) => s.source.blobs !== undefined || !(s.task.environmentSettings ?? []).some((e) => usesBlobPlaceholder(e.value)),
  },
  {
    rule:
      `${HAS_BLOBS} || !has(self.task.outputFiles) || !self.task.outputFiles.exists(o, ${celFails(blobPlaceholderCheck, "o.filePattern")} || ` +
      `(has(o.destination.container.path) && (${celFails(blobPlaceholderCheck, "o.destination.container.path")})))`,
    message: `a filePattern or destination path ${blobOnly}`,
    fieldPath: ".task.outputFiles",
    holds: (s) => s.source.blobs !== undefined || !(s.task.outputFiles ?? []).some((o) => usesBlobPlaceholder(o.filePattern) || usesBlobPlaceholder(o.destination.container.path)),
  },
];

/** TaskCollection.spec: many tasks of a job in one object (Azure Batch's AddTaskCollection, Batch Shipyard's task factories). */
export const taskCollectionSpecSchema = withRules(specObject, taskCollectionSpecRules).describe(
  "Many tasks of a job in one object: one task per item of the source, each made from the task template.",
);

export const collectionStates = ["Active", "Running", "Completed"] as const;

/** Most failed items status lists one by one; the rest are counted in failuresNotListed. */
export const MAX_LISTED_FAILURES = 100;

const count = (description: string) => z.int().min(0).optional().describe(description);

export const collectionFailureSchema = z
  .strictObject({
    index: z.int().min(0).describe("The item's 0-based index in the source."),
    id: batchId("The item's task id, <idPrefix>-<index>."),
    item: z.string().max(maxItemChars).optional().describe("The item: the number, the list's string or the blob's name."),
    exitCode: z.int().optional().describe("Exit code of the item's last attempt (absent when it did not run)."),
    failureInfo: failureInfoSchema,
    stderrTail: z.string().max(1024).describe("The last KiB of the item's stderr.txt."),
    retryCount: z.int().min(0).describe("How many times the item was retried."),
    nodeId: z.string().max(253).optional().describe("The node (node pod name) of the last attempt."),
  })
  .describe("A failed item.");

export const taskCollectionStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: conditionsSchema,
    state: z.enum(collectionStates).optional().describe("Active (no item started yet), Running or Completed (every item completed)."),
    itemCount: count("How many items the source holds (for blobs: once listed)."),
    chunkCount: count("How many chunks the items are cut into, once all of them exist (for blobs: once listed)."),
    counts: z
      .strictObject({
        active: count("Items waiting to run."),
        running: count("Items running."),
        succeeded: count("Items completed with result Success."),
        failed: count("Items completed with result Failure."),
      })
      .optional()
      .describe("Number of the collection's items in each state."),
    startTime: timestamp("When the first item started.").optional(),
    endTime: timestamp("When the last item completed.").optional(),
    failures: z.array(collectionFailureSchema).max(MAX_LISTED_FAILURES).optional().describe(`Failed items, at most ${MAX_LISTED_FAILURES}.`),
    failuresNotListed: count("Failed items beyond those in failures."),
  })
  .describe("Observed state of the collection.");

const objectShape = objectSchema(taskCollectionNames, taskCollectionSpecSchema, taskCollectionStatusSchema);

/** Item i's task id: `<prefix>-<i>`. */
export function collectionItemId(prefix: string, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`item index ${index} is not a non-negative integer`);
  return `${prefix}-${index}`;
}

/** The index of the collection item with this task id (`<prefix>-<i>`, i written without leading zeros), or undefined. */
export function collectionItemIndex(prefix: string, id: string): number | undefined {
  if (!id.startsWith(`${prefix}-`)) return undefined;
  const rest = id.slice(prefix.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

// The id prefix defaults to metadata.name, which only a rule at the object's root can see.
const OWN_PREFIX = "(has(self.spec.idPrefix) ? self.spec.idPrefix : self.metadata.name)";

/** Rules on the whole TaskCollection (CEL at the CRD's root, where metadata.name is visible). */
export const taskCollectionObjectRules: CrossFieldRule<z.output<typeof objectShape>>[] = [
  {
    rule: `!has(self.spec) || has(self.spec.idPrefix) || self.metadata.name.matches('${ID_PREFIX_PATTERN.source}')`,
    message: `required when metadata.name is not an id prefix (item i's task id is <idPrefix>-<i>: at most ${MAX_ID_PREFIX} letters, digits, '-' or '_', no '.')`,
    fieldPath: ".spec.idPrefix",
    holds: (c) => c.spec.idPrefix !== undefined || ID_PREFIX_PATTERN.test(c.metadata.name),
  },
  {
    rule:
      `!has(self.spec) || !has(self.spec.dependsOn) || !has(self.spec.dependsOn.taskIds) || ` +
      // <prefix>-<digits>, read from the id: the API server's cost estimate takes metadata.name
      // as unbounded, so nothing in the loop may cost by the prefix's size (an equality costs by the shorter side).
      `!self.spec.dependsOn.taskIds.exists(t, t.matches('-(0|[1-9][0-9]*)$') && t.substring(0, t.lastIndexOf('-')) == ${OWN_PREFIX})`,
    message: "the items cannot depend on the collection's own items (<idPrefix>-<index> in dependsOn.taskIds)",
    fieldPath: ".spec.dependsOn.taskIds",
    holds: (c) => !(c.spec.dependsOn?.taskIds ?? []).some((id) => collectionItemIndex(c.spec.idPrefix ?? c.metadata.name, id) !== undefined),
  },
  {
    rule: "!has(self.spec) || !has(self.spec.dependsOn) || !has(self.spec.dependsOn.taskCollections) || !self.spec.dependsOn.taskCollections.exists(c, c.name == self.metadata.name)",
    message: "the items cannot depend on the collection's own items",
    fieldPath: ".spec.dependsOn.taskCollections",
    holds: (c) => !(c.spec.dependsOn?.taskCollections ?? []).some((d) => d.name === c.metadata.name),
  },
];

/** A TaskCollection with the defaults that need the whole object resolved: spec.idPrefix (metadata.name) and spec.jobName (jobId). */
export const taskCollectionSchema = withRules(objectShape, taskCollectionObjectRules).transform((c) => ({
  ...c,
  spec: { ...c.spec, idPrefix: c.spec.idPrefix ?? c.metadata.name, jobName: jobNameOf(c.spec) ?? "" },
}));

export type TaskCollectionSpec = z.infer<typeof taskCollectionSpecSchema>;
export type TaskCollectionSpecInput = z.input<typeof taskCollectionSpecSchema>;
export type CollectionSource = TaskCollectionSpec["source"];
export type TaskCollectionStatus = z.infer<typeof taskCollectionStatusSchema>;
export type CollectionState = (typeof collectionStates)[number];
export type CollectionFailure = z.infer<typeof collectionFailureSchema>;
export type TaskCollection = z.infer<typeof taskCollectionSchema>;
/** A parsed collection's spec: idPrefix and jobName always set. */
export type ResolvedCollectionSpec = TaskCollection["spec"];
export type TaskCollectionInput = z.input<typeof taskCollectionSchema>;
/** A TaskCollection as a cache or list holds it, unparsed (see Stored). */
export type StoredTaskCollection = Stored<TaskCollectionSpecInput, TaskCollectionStatus>;

/** Parses a TaskCollection read from the API server; spec.idPrefix and spec.jobName are always set in the result. */
export function parseTaskCollection(input: unknown): ParseResult<TaskCollection> {
  return parseWith(taskCollectionSchema, input);
}
