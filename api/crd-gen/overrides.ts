/**
 * Where the CRDs carry CEL rules (`x-kubernetes-validations`), keyed by schema path.
 * Each rule is defined once, beside its zod check, in api/; this table says
 * where each schema appears in each kind. A path that does not exist fails generation, and
 * crds.test.ts fails when a schema carrying rules appears somewhere not listed here.
 */
import { exitCodeRangeRules } from "../exit-conditions.ts";
import { jobSpecRules, poolInfoRules } from "../job.ts";
import { jobManagerTaskRules, jobPreparationTaskRules, jobReleaseTaskRules } from "../job-tasks.ts";
import { poolSpecRules } from "../pool.ts";
import { resourceFileRules } from "../resource-file.ts";
import { celValidations, type CelValidation, type CrossFieldRule } from "../rules.ts";
import { collectionItemsRules, taskIdRangeRules } from "../task-dependencies.ts";
import { taskObjectRules, taskSpecRules } from "../task.ts";
import { userIdentityRules } from "../user-identity.ts";
import {
  collectionEnvironmentRules,
  collectionOutputFileRules,
  collectionRangeRules,
  collectionSourceRules,
  collectionTaskRules,
  taskCollectionObjectRules,
  taskCollectionSpecRules,
} from "../task-collection.ts";

export interface SchemaOverride {
  /** `spec.startTask.resourceFiles[*]`; "" is the object's root. */
  path: string;
  validations: CelValidation[];
}

type AnyRules = readonly CrossFieldRule<never>[];

const at = (path: string, rules: AnyRules): SchemaOverride => ({ path, validations: celValidations(rules) });
const join = (prefix: string, path: string) => (prefix === "" ? path : `${prefix}.${path}`);

function resourceFilesAt(prefix: string): SchemaOverride[] {
  return [at(join(prefix, "resourceFiles[*]"), resourceFileRules)];
}

function poolSpecAt(prefix: string): SchemaOverride[] {
  return [at(prefix, poolSpecRules), ...resourceFilesAt(join(prefix, "startTask"))];
}

function jobSpecAt(prefix: string): SchemaOverride[] {
  return [
    at(prefix, jobSpecRules),
    at(join(prefix, "poolInfo"), poolInfoRules),
    ...poolSpecAt(join(prefix, "poolInfo.autoPoolSpecification.pool")),
    at(join(prefix, "jobPreparationTask"), jobPreparationTaskRules),
    at(join(prefix, "jobReleaseTask"), jobReleaseTaskRules),
    at(join(prefix, "jobManagerTask"), jobManagerTaskRules),
    ...["jobPreparationTask", "jobReleaseTask", "jobManagerTask"].map((t) => at(join(prefix, `${t}.userIdentity`), userIdentityRules)),
    ...resourceFilesAt(join(prefix, "jobPreparationTask")),
    ...resourceFilesAt(join(prefix, "jobReleaseTask")),
    ...resourceFilesAt(join(prefix, "jobManagerTask")),
  ];
}

function taskSpecAt(prefix: string): SchemaOverride[] {
  return [
    at(prefix, taskSpecRules),
    at(join(prefix, "userIdentity"), userIdentityRules),
    ...resourceFilesAt(prefix),
    at(join(prefix, "exitConditions.exitCodeRanges[*]"), exitCodeRangeRules),
    at(join(prefix, "dependsOn.taskIdRanges[*]"), taskIdRangeRules),
    at(join(prefix, "dependsOn.taskCollections[*]"), collectionItemsRules),
  ];
}

/** Overrides per kind (by plural), paths relative to the CRD's openAPIV3Schema. */
export const overrides: Record<string, SchemaOverride[]> = {
  pools: poolSpecAt("spec"),
  workitems: jobSpecAt("spec.jobSpecification"),
  jobs: jobSpecAt("spec"),
  tasks: [at("", taskObjectRules), ...taskSpecAt("spec")],
  taskcollections: [
    at("", taskCollectionObjectRules),
    at("spec", taskCollectionSpecRules),
    at("spec.source", collectionSourceRules),
    at("spec.source.range", collectionRangeRules),
    at("spec.task", collectionTaskRules),
    at("spec.task.userIdentity", userIdentityRules),
    at("spec.task.environmentSettings[*]", collectionEnvironmentRules),
    at("spec.task.outputFiles[*]", collectionOutputFileRules),
    ...resourceFilesAt("spec.task"),
    at("spec.task.exitConditions.exitCodeRanges[*]", exitCodeRangeRules),
    at("spec.dependsOn.taskIdRanges[*]", taskIdRangeRules),
    at("spec.dependsOn.taskCollections[*]", collectionItemsRules),
  ],
  collectionchunks: [at("spec.dependsOn.taskIdRanges[*]", taskIdRangeRules), at("spec.dependsOn.taskCollections[*]", collectionItemsRules)],
};
