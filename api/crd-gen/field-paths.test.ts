// docs/architecture.md's table of Azure Batch fields names every field the CRDs accept (once
// per type) and no field they do not have.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalPath, specFieldPaths } from "./field-paths.ts";

const doc = readFileSync(new URL("../../docs/architecture.md", import.meta.url), "utf8");
const start = doc.indexOf("## Azure Batch fields");
const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
const tableFields = new Set(
  section
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .flatMap((l) => [...(l.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!)),
);

test("reused types collapse to one name", () => {
  const cases: [string, string][] = [
    ["WorkItem.jobSpecification.poolInfo.autoPoolSpecification.pool.startTask.resourceFiles[].httpUrl", "ResourceFile.httpUrl"],
    ["WorkItem.jobSpecification.jobManagerTask.constraints.retentionTime", "TaskConstraints.retentionTime"],
    ["Job.constraints.maxWallClockTime", "Job.constraints.maxWallClockTime"],
    ["TaskCollection.task.exitConditions.default.jobAction", "ExitConditions.default.jobAction"],
    ["Job.poolInfo.autoPoolSpecification.pool.vmSize", "Pool.vmSize"],
  ];
  for (const [path, want] of cases) assert.equal(canonicalPath(path), want, path);
});

test("the table covers every spec field, and names only fields that exist", () => {
  const fields = specFieldPaths();
  assert.ok(section.length > 0 && fields.length > 100, "the section and the fields were found");
  assert.deepEqual(fields.filter((f) => !tableFields.has(f)), [], "fields missing from docs/architecture.md's table");
  assert.deepEqual([...tableFields].filter((f) => !fields.includes(f)), [], "rows naming no field of the CRDs");
});
