import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildTasks, firstDifference, type AddOptions } from "./task-add.ts";
import { rangeItems } from "./sources.ts";
import { defaultNameTemplate } from "./template.ts";

const options = (o: Partial<AddOptions> = {}): AddOptions => ({ job: "sweep", command: "simulate --seed {}", nameTemplate: defaultNameTemplate("sweep"), env: [], resourceFiles: [], ...o });
type Built = { metadata: { name: string; labels: Record<string, string> }; spec: Record<string, unknown> };

describe("buildTasks", () => {
  test("a range: default names <job>-task-{item}, the job label, the expanded command", () => {
    const tasks = buildTasks(rangeItems("10..12"), options({ nameTemplate: defaultNameTemplate("sweep", "10..12") })).map((t) => t.body as Built);
    assert.deepEqual(tasks.map((t) => t.metadata.name), ["sweep-task-10", "sweep-task-11", "sweep-task-12"]);
    assert.deepEqual(tasks[2]!.metadata.labels, { "kubatch.dev/job": "sweep" });
    assert.deepEqual(tasks[2]!.spec, { jobName: "sweep", commandLine: "simulate --seed 12", displayName: "12" });
  });

  test("task options become constraints, environment settings and resource files", () => {
    const items = [{ item: "in/a b.png", name: "a b.png", blobName: "in/a b.png", blobUrl: "http://h/acct/c/in/a%20b.png?sv=1&sig=x%3D" }];
    const [t] = buildTasks(items, options({ command: "ocr {name}", maxRetries: 2, maxWallClock: "5m", env: [{ name: "SRC", value: "{blobName}" }], resourceFiles: [{ url: "{blobUrl}" }, { url: "{blobUrl}", path: "img/{index}.png" }] })).map((x) => x.body as Built);
    assert.deepEqual(t!.spec.constraints, { maxTaskRetryCount: 2, maxWallClockTime: "5m" });
    assert.deepEqual(t!.spec.environmentSettings, [{ name: "SRC", value: "in/a b.png" }]);
    assert.deepEqual(t!.spec.resourceFiles, [
      { httpUrl: items[0]!.blobUrl, filePath: "a b.png", fileMode: "0770" },
      { httpUrl: items[0]!.blobUrl, filePath: "img/0.png", fileMode: "0770" },
    ]);
  });

  const refused: Record<string, { o: Partial<AddOptions>; message: RegExp }> = {
    "a name template that gives every task the same name": { o: { nameTemplate: "same" }, message: /--name-template: "same" gives the name same to both "10" and "11"/ },
    "an out-of-range retry count, naming the field": { o: { maxRetries: 101 }, message: /spec\.constraints\.maxTaskRetryCount/ },
  };
  for (const [name, tc] of Object.entries(refused)) {
    test(`refuses ${name}`, () => assert.throws(() => buildTasks(rangeItems("10..11"), options(tc.o)), tc.message));
  }
});

test("firstDifference: where a wanted spec is not contained in a stored one (the API server's defaults are fine)", async (t) => {
  const cases: Record<string, { want: unknown; have: unknown; path?: string }> = {
    "the same": { want: { commandLine: "a", constraints: { maxTaskRetryCount: 1 } }, have: { commandLine: "a", constraints: { maxTaskRetryCount: 1 } } },
    "defaults added": { want: { commandLine: "a" }, have: { commandLine: "a", requiredSlots: 1, constraints: { retentionTime: "P7D" } } },
    "another command": { want: { commandLine: "a" }, have: { commandLine: "b" }, path: "commandLine" },
    "a nested value": { want: { constraints: { maxWallClockTime: "1h" } }, have: { constraints: { maxWallClockTime: "2h" } }, path: "constraints.maxWallClockTime" },
    "an array item": { want: { environmentSettings: [{ name: "A", value: "1" }] }, have: { environmentSettings: [{ name: "A", value: "2" }] }, path: "environmentSettings[0].value" },
    "an array of another length": { want: { environmentSettings: [{ name: "A" }] }, have: { environmentSettings: [] }, path: "environmentSettings" },
    "a field missing": { want: { displayName: "x" }, have: {}, path: "displayName" },
  };
  for (const [name, c] of Object.entries(cases)) await t.test(name, () => assert.equal(firstDifference(c.want, c.have), c.path));
});

test("defaultNameTemplate: by item for a range of non-negative numbers, else by index", () => {
  assert.equal(defaultNameTemplate("j", "1..10"), "j-task-{item}");
  assert.equal(defaultNameTemplate("j", "0..3"), "j-task-{item}");
  assert.equal(defaultNameTemplate("j", "-2..2"), "j-task-{index}", "-2 and 2 would both be j-task-2");
  assert.equal(defaultNameTemplate("j"), "j-task-{index}", "files and blobs");
  const names = buildTasks(rangeItems("-2..2"), options({ nameTemplate: defaultNameTemplate("sweep", "-2..2") })).map((t) => t.name);
  assert.deepEqual(names, ["sweep-task-0", "sweep-task-1", "sweep-task-2", "sweep-task-3", "sweep-task-4"]);
});
