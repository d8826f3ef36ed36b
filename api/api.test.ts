import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { loadYaml } from "@kubernetes/client-node";
import { formatProblems, type ParseResult, type Problem } from "./parse.ts";
import { parseJob } from "./job.ts";
import { invalidCases, validCases } from "./manifest-cases.ts";
import { parsePool } from "./pool.ts";
import { parseTask } from "./task.ts";
import { parseTaskCollection } from "./task-collection.ts";
import { parseWorkItem } from "./work-item.ts";

const parsers: Record<string, (input: unknown) => ParseResult<unknown>> = {
  Pool: parsePool,
  WorkItem: parseWorkItem,
  Job: parseJob,
  Task: parseTask,
  TaskCollection: parseTaskCollection,
};

function parse(object: Record<string, unknown>): ParseResult<unknown> {
  const parser = parsers[String(object.kind)];
  assert.ok(parser, `no parser for kind ${String(object.kind)}`);
  return parser(object);
}

function problemsOf(result: ParseResult<unknown>): Problem[] {
  return result.ok ? [] : result.problems;
}

describe("valid manifests parse", () => {
  for (const [name, object] of Object.entries(validCases)) {
    it(name, () => {
      const result = parse(object);
      assert.deepEqual(problemsOf(result), []);
    });
  }
});

describe("invalid manifests are refused naming the field", () => {
  for (const [name, tc] of Object.entries(invalidCases)) {
    it(name, () => {
      const result = parse(tc.object);
      assert.equal(result.ok, false, "expected problems");
      const paths = problemsOf(result).map((p) => p.path);
      assert.ok(paths.includes(tc.field), `expected a problem at ${tc.field}, got ${formatProblems(problemsOf(result))}`);
    });
  }
});

describe("the examples parse", () => {
  const dir = new URL("../examples/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  it("has one example per kind", () => {
    const kinds = files.map((f) => String(loadYaml<Record<string, unknown>>(readFileSync(new URL(f, dir), "utf8")).kind)).sort();
    assert.deepEqual(kinds, ["Job", "Pool", "Task", "TaskCollection", "WorkItem"]);
  });
  // The README's "Using it" applies examples/hello/ (e2e/tests/readme.test.ts runs it).
  const hello = readdirSync(new URL("hello/", dir)).map((f) => `hello/${f}`);
  for (const file of [...files, ...hello]) {
    it(file, () => {
      const object = loadYaml<Record<string, unknown>>(readFileSync(new URL(file, dir), "utf8"));
      assert.deepEqual(problemsOf(parse(object)), []);
    });
  }
});

describe("problems", () => {
  it("name the resource file and say what is wrong", () => {
    const result = parsePool({
      apiVersion: "kubatch.dev/v1alpha1",
      kind: "Pool",
      metadata: { name: "p" },
      spec: { vmSize: "small", startTask: { commandLine: "x", resourceFiles: [{ httpUrl: "http://a/b", storageContainerUrl: "http://a/c", filePath: "b" }] } },
    });
    assert.equal(formatProblems(problemsOf(result)), "spec.startTask.resourceFiles[0]: exactly one of httpUrl, storageContainerUrl, autoStorageContainerName");
  });

  it("report every problem, not only the first", () => {
    const result = parseTask({
      apiVersion: "kubatch.dev/v1alpha1",
      kind: "Task",
      metadata: { name: "t" },
      spec: { jobName: "j", commandLine: "", requiredSlots: 0, bogus: true },
    });
    assert.deepEqual(problemsOf(result).map((p) => p.path).sort(), ["spec.bogus", "spec.commandLine", "spec.requiredSlots"]);
  });

  it("explain durations", () => {
    const result = parsePool({ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p" }, spec: { vmSize: "s", resizeTimeout: "P1M" } });
    assert.match(formatProblems(problemsOf(result)), /^spec\.resizeTimeout: invalid duration "P1M": ISO 8601 years and months have no fixed length/);
  });

  const garbage: Record<string, unknown> = {
    null: null,
    number: 42,
    string: "Pool",
    array: [],
    "no metadata": { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", spec: { vmSize: "s" } },
    "another kind": { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "p" }, spec: { vmSize: "s" } },
    "another version": { apiVersion: "kubatch.dev/v1", kind: "Pool", metadata: { name: "p" }, spec: { vmSize: "s" } },
  };
  for (const [name, input] of Object.entries(garbage)) {
    it(`are returned, not thrown, for ${name}`, () => {
      for (const parser of Object.values(parsers)) {
        const result = parser(input);
        assert.equal(result.ok, false);
        assert.ok(problemsOf(result).length > 0);
      }
    });
  }
});

describe("defaults are applied", () => {
  const meta = { apiVersion: "kubatch.dev/v1alpha1", metadata: { name: "ocr" } };

  it("on a pool", () => {
    const result = parsePool({
      ...meta,
      kind: "Pool",
      spec: { vmSize: "small", startTask: { commandLine: "x", resourceFiles: [{ autoStorageContainerName: "app", credentialsSecretRef: { name: "s" } }] } },
    });
    assert.ok(result.ok);
    const { spec } = result.value;
    assert.equal(spec.enableAutoScale, false);
    assert.equal(spec.autoScaleEvaluationInterval, "30s");
    assert.equal(spec.resizeTimeout, "PT15M");
    assert.equal(spec.nodeDeallocationOption, "Requeue");
    assert.equal(spec.taskSlotsPerNode, 1);
    assert.deepEqual(spec.taskSchedulingPolicy, { nodeFillType: "Spread" });
    assert.equal(spec.targetDedicatedNodes, undefined, "absent means 0, and must stay absent for autoscale pools");
    assert.equal(spec.startTask?.waitForSuccess, true);
    assert.equal(spec.startTask?.maxTaskRetryCount, 0);
    assert.deepEqual(spec.startTask?.resourceFiles?.[0], {
      autoStorageContainerName: "app",
      fileMode: "0770",
      credentialsSecretRef: { name: "s", key: "connectionString" },
    });
  });

  it("on a job", () => {
    const result = parseJob({ ...meta, kind: "Job", spec: { poolInfo: { poolId: "ocr" }, jobReleaseTask: { commandLine: "x" } } });
    assert.ok(result.ok);
    const { spec } = result.value;
    assert.equal(spec.priority, 0);
    assert.equal(spec.maxParallelTasks, -1);
    assert.deepEqual(spec.constraints, { maxTaskRetryCount: 0 });
    assert.equal(spec.onAllTasksComplete, "NoAction");
    assert.equal(spec.onTaskFailure, "NoAction");
    assert.equal(spec.usesTaskDependencies, false);
    assert.equal(spec.disabled, false);
    assert.equal(spec.disableTasks, "Requeue");
    assert.equal(spec.terminate, false);
    assert.equal(spec.jobReleaseTask?.id, "jobrelease");
    assert.equal(spec.jobReleaseTask?.maxWallClockTime, "PT15M");
    assert.equal(spec.jobReleaseTask?.retentionTime, "P7D");
  });

  it("on an auto pool inside a work item's job", () => {
    const result = parseWorkItem({
      ...meta,
      kind: "WorkItem",
      spec: { jobSpecification: { poolInfo: { autoPoolSpecification: { pool: { vmSize: "small" } } } } },
    });
    assert.ok(result.ok);
    const auto = result.value.spec.jobSpecification.poolInfo.autoPoolSpecification;
    assert.equal(auto?.poolLifetimeOption, "Job");
    assert.equal(auto?.keepAlive, false);
    assert.equal(auto?.pool.taskSlotsPerNode, 1);
  });

  const taskCases: Record<string, { spec: Record<string, unknown>; id: string; jobName: string }> = {
    "id from metadata.name": { spec: { jobName: "j", commandLine: "x" }, id: "ocr", jobName: "j" },
    "explicit id": { spec: { jobName: "j", id: "page_1", commandLine: "x" }, id: "page_1", jobName: "j" },
    "jobName from the jobId alias": { spec: { jobId: "batch-job", commandLine: "x" }, id: "ocr", jobName: "batch-job" },
  };
  for (const [name, tc] of Object.entries(taskCases)) {
    it(`on a task: ${name}`, () => {
      const result = parseTask({ ...meta, kind: "Task", spec: tc.spec });
      assert.ok(result.ok);
      assert.equal(result.value.spec.id, tc.id);
      assert.equal(result.value.spec.jobName, tc.jobName);
      assert.equal(result.value.spec.requiredSlots, 1);
      assert.deepEqual(result.value.spec.constraints, { retentionTime: "P7D" });
    });
  }

  it("on output files", () => {
    const result = parseTask({
      ...meta,
      kind: "Task",
      spec: { jobName: "j", commandLine: "x", outputFiles: [{ filePattern: "*.txt", destination: { container: { containerUrl: "http://x/c" } } }] },
    });
    assert.ok(result.ok);
    assert.deepEqual(result.value.spec.outputFiles?.[0]?.uploadOptions, { uploadCondition: "TaskCompletion" });
  });
});
