/** Properties every generated CRD must have: structural, RE2 patterns, rules where their schemas appear. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { exitCodeRangeRules, exitCodeRangeSchema } from "../exit-conditions.ts";
import { jobSpecRules, jobSpecSchema, poolInfoRules, poolInfoSchema } from "../job.ts";
import { jobPreparationTaskRules, jobPreparationTaskSchema, jobReleaseTaskRules, jobReleaseTaskSchema } from "../job-tasks.ts";
import { poolSpecRules, poolSpecSchema } from "../pool.ts";
import { resourceFileRules, resourceFileSchema } from "../resource-file.ts";
import type { CrossFieldRule } from "../rules.ts";
import { taskSpecRules, taskSpecSchema } from "../task.ts";
import {
  collectionEnvironmentRules,
  collectionOutputFileRules,
  collectionRangeRules,
  collectionSourceRules,
  collectionTaskRules,
  taskCollectionSpecRules,
  taskCollectionSpecSchema,
} from "../task-collection.ts";
import { taskDependenciesSchema, taskIdRangeRules } from "../task-dependencies.ts";
import { kinds } from "./kinds.ts";
import { crdOf, structuralSchemaOf } from "./render.ts";
import { nodeAt, walkSchema, type JsonSchema } from "./structural.ts";

const crds = Object.fromEntries(kinds.map((k) => [k.names.plural, crdOf(k)])) as Record<string, any>;
const schemaOf = (plural: string): JsonSchema => crds[plural].spec.versions[0].schema.openAPIV3Schema;

describe("every CRD", () => {
  for (const [plural, crd] of Object.entries(crds)) {
    describe(plural, () => {
      it("is namespaced in kubatch.dev/v1alpha1 with the status subresource, the kubatch category and a k-prefixed short name", () => {
        assert.equal(crd.metadata.name, `${plural}.kubatch.dev`);
        assert.equal(crd.spec.scope, "Namespaced");
        assert.equal(crd.spec.versions.length, 1);
        assert.equal(crd.spec.versions[0].name, "v1alpha1");
        assert.deepEqual(crd.spec.versions[0].subresources.status, {});
        assert.deepEqual(crd.spec.names.categories, ["kubatch"]);
        assert.match(crd.spec.names.shortNames[0], /^k[a-z]+$/);
      });

      it("is structural", () => {
        walkSchema(schemaOf(plural), (node, path) => {
          const where = path || "(root)";
          for (const key of ["$ref", "$schema", "$defs", "anyOf", "oneOf", "allOf", "not", "propertyNames", "nullable"]) {
            assert.ok(!(key in node), `${where}: has ${key}`);
          }
          assert.ok(!("properties" in node && "additionalProperties" in node), `${where}: properties beside additionalProperties`);
          assert.ok(
            typeof node.type === "string" || node["x-kubernetes-int-or-string"] === true || node["x-kubernetes-preserve-unknown-fields"] === true,
            `${where}: no type`,
          );
          if (node.type === "object" && !("properties" in node) && !("additionalProperties" in node)) {
            assert.ok(node["x-kubernetes-preserve-unknown-fields"] === true, `${where}: an object with no schema`);
          }
        });
      });

      it("uses only RE2 patterns", () => {
        walkSchema(schemaOf(plural), (node, path) => {
          if (typeof node.pattern !== "string") return;
          assert.doesNotMatch(node.pattern, /\(\?<?[=!]|\(\?>|\\[1-9]|\\k</, `${path}: look-around, atomic group or backreference`);
          assert.doesNotThrow(() => new RegExp(node.pattern as string, "u"), `${path}: invalid pattern`);
        });
      });

      it("marks list-maps with required keys", () => {
        walkSchema(schemaOf(plural), (node, path) => {
          if (node["x-kubernetes-list-type"] !== "map") return;
          const items = node.items as JsonSchema;
          for (const key of node["x-kubernetes-list-map-keys"] as string[]) {
            assert.ok((items.required as string[] | undefined)?.includes(key), `${path}: list-map key ${key} is not required`);
          }
        });
      });

      it("marks status.conditions as a list-map keyed by type", () => {
        const conditions = (schemaOf(plural).properties as any).status.properties.conditions;
        assert.equal(conditions["x-kubernetes-list-type"], "map");
        assert.deepEqual(conditions["x-kubernetes-list-map-keys"], ["type"]);
        assert.deepEqual(Object.keys(conditions.items.properties).sort(), ["lastTransitionTime", "message", "observedGeneration", "reason", "status", "type"]);
      });

      it("bounds every list holding CEL rules (the API server's cost estimate)", () => {
        walkSchema(schemaOf(plural), (node, path) => {
          if (node.type !== "array") return;
          let hasRules = false;
          walkSchema(node.items as JsonSchema, (inner) => {
            if (inner["x-kubernetes-validations"] !== undefined) hasRules = true;
          });
          if (hasRules) assert.equal(typeof node.maxItems, "number", `${path}: unbounded list with CEL rules`);
        });
      });

      it("has printer columns ending with Age", () => {
        const columns = crd.spec.versions[0].additionalPrinterColumns as { name: string }[];
        assert.equal(columns.at(-1)?.name, "Age");
      });
    });
  }

  it("Pool has the scale subresource on targetDedicatedNodes", () => {
    assert.deepEqual(crds.pools.spec.versions[0].subresources.scale, {
      specReplicasPath: ".spec.targetDedicatedNodes",
      statusReplicasPath: ".status.currentDedicatedNodes",
      labelSelectorPath: ".status.selector",
    });
  });

  const columns: Record<string, string[]> = {
    pools: ["State", "Current", "Target", "AutoScale"],
    jobs: ["State", "Pool", "Active", "Running", "Succeeded", "Failed"],
    tasks: ["State", "Result", "Waiting", "Node", "Exit Code", "Retries"],
    workitems: ["State", "Next Run", "Recent Job"],
    taskcollections: ["State", "Items", "Succeeded", "Failed"],
  };
  for (const [plural, names] of Object.entries(columns)) {
    it(`${plural} shows ${names.join(", ")} by default`, () => {
      const shown = (crds[plural].spec.versions[0].additionalPrinterColumns as { name: string; priority?: number }[])
        .filter((c) => (c.priority ?? 0) === 0)
        .map((c) => c.name);
      for (const name of names) assert.ok(shown.includes(name), `missing column ${name}`);
    });
  }
});

describe("CEL rules appear wherever their schema does", () => {
  // A schema's signature is its set of property names; every CRD node with that signature must carry its rules.
  const ruleSets: Record<string, { schema: z.ZodType; rules: readonly CrossFieldRule<never>[] }> = {
    resourceFile: { schema: resourceFileSchema, rules: resourceFileRules },
    poolSpec: { schema: poolSpecSchema, rules: poolSpecRules },
    poolInfo: { schema: poolInfoSchema, rules: poolInfoRules },
    jobSpec: { schema: jobSpecSchema, rules: jobSpecRules },
    jobPreparationTask: { schema: jobPreparationTaskSchema, rules: jobPreparationTaskRules },
    jobReleaseTask: { schema: jobReleaseTaskSchema, rules: jobReleaseTaskRules },
    taskSpec: { schema: taskSpecSchema, rules: taskSpecRules },
    exitCodeRange: { schema: exitCodeRangeSchema, rules: exitCodeRangeRules },
    taskIdRange: { schema: (taskDependenciesSchema.shape.taskIdRanges.unwrap() as z.ZodArray<z.ZodType>).element, rules: taskIdRangeRules },
    taskCollectionSpec: { schema: taskCollectionSpecSchema, rules: taskCollectionSpecRules },
    collectionSource: { schema: taskCollectionSpecSchema.shape.source, rules: collectionSourceRules },
    collectionRange: { schema: (taskCollectionSpecSchema.shape.source.shape.range as z.ZodOptional<z.ZodType>).unwrap(), rules: collectionRangeRules },
    collectionTask: { schema: taskCollectionSpecSchema.shape.task, rules: collectionTaskRules },
  };
  // Property names and descriptions: a collection's range {start, end} is not a taskIdRange.
  const signature = (node: JsonSchema) =>
    Object.entries((node.properties as Record<string, JsonSchema> | undefined) ?? {})
      .map(([name, p]) => `${name}:${String(p.description)}`)
      .sort()
      .join(",");

  for (const [name, { schema, rules }] of Object.entries(ruleSets)) {
    it(name, () => {
      const wanted = signature(structuralSchemaOf(schema));
      let found = 0;
      for (const plural of Object.keys(crds)) {
        walkSchema(schemaOf(plural), (node, path) => {
          if (signature(node) !== wanted) return;
          found++;
          const have = ((node["x-kubernetes-validations"] as { rule: string }[] | undefined) ?? []).map((v) => v.rule);
          for (const r of rules) assert.ok(have.includes(r.rule), `${plural} ${path}: missing rule ${r.rule}`);
        });
      }
      assert.ok(found > 0, "schema not found in any CRD");
    });
  }
});

describe("the template checks of a collection", () => {
  const rulesAt = (plural: string, path: string) => (((nodeAt(schemaOf(plural), path)["x-kubernetes-validations"] as { rule: string }[] | undefined) ?? []).map((v) => v.rule));
  const cases: Record<string, { path: string; rules: readonly CrossFieldRule<never>[]; taskPath: string }> = {
    "environment values": { path: "spec.task.environmentSettings[*]", rules: collectionEnvironmentRules, taskPath: "spec.environmentSettings[*]" },
    "output file patterns and paths": { path: "spec.task.outputFiles[*]", rules: collectionOutputFileRules, taskPath: "spec.outputFiles[*]" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: on the collection's template, not on a Task (whose values are no templates)`, () => {
      assert.deepEqual(rulesAt("taskcollections", tc.path), tc.rules.map((r) => r.rule));
      assert.deepEqual(rulesAt("tasks", tc.taskPath), []);
    });
  }
});
