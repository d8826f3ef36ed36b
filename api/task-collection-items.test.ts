import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitCommandLine } from "./command-line-split.ts";
import { batchEnvironment } from "./node-layout.ts";
import { collectionItemId, collectionItemIndex, parseTaskCollection, type ResolvedCollectionSpec } from "./task-collection.ts";
import { blobUrlOf, chunkItem, collectionItem, collectionItemCount, collectionItemTask } from "./task-collection-items.ts";

/** A parsed collection named `c` of job `j` (defaults applied, idPrefix resolved). */
function spec(s: Record<string, unknown>, name = "c"): ResolvedCollectionSpec {
  const r = parseTaskCollection({ apiVersion: "kubatch.dev/v1alpha1", kind: "TaskCollection", metadata: { name }, spec: { jobName: "j", task: { commandLine: "echo {}" }, ...s } });
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.problems));
  return r.value.spec;
}
const range = (start: number, end: number) => ({ source: { range: { start, end } } });
const container = "http://127.0.0.1:10000/devstoreaccount1/input";

describe("collectionItemCount and collectionItem", () => {
  const cases: Record<string, { source: Record<string, unknown>; count: number | undefined; items: Record<number, string | undefined> }> = {
    "a range of 10,000,000 from 0": { source: range(0, 9_999_999), count: 10_000_000, items: { 0: "0", 9_999_999: "9999999" } },
    "a range of one": { source: range(7, 7), count: 1, items: { 0: "7" } },
    "a range ending at the last int32": { source: range(2147483640, 2147483647), count: 8, items: { 7: "2147483647" } },
    "listed items": { source: { source: { items: ["a.png", "b c.png"] } }, count: 2, items: { 0: "a.png", 1: "b c.png" } },
    "blobs: known once listed": { source: { source: { blobs: { containerUrl: container } } }, count: undefined, items: { 0: undefined, 5: undefined } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      const s = spec(tc.source);
      assert.equal(collectionItemCount(s.source), tc.count);
      for (const [i, want] of Object.entries(tc.items)) assert.equal(collectionItem(s.source, Number(i)), want);
    });
  }
  const outside: Record<string, { source: Record<string, unknown>; index: number }> = {
    "past a range's end": { source: range(5, 9), index: 5 },
    "negative": { source: range(5, 9), index: -1 },
    "not an integer": { source: { source: { items: ["a", "b"] } }, index: 0.5 },
  };
  for (const [name, tc] of Object.entries(outside)) test(`refuses an index ${name}`, () => assert.throws(() => collectionItem(spec(tc.source).source, tc.index), RangeError));
});

describe("chunkItem: a range's and a list's items from the source, a blob's name from its chunk", () => {
  const blobs = { source: { blobs: { containerUrl: container } } };
  const cases: Record<string, { source: Record<string, unknown>; chunk: { start: number; count: number; items?: string[] }; items: Record<number, string | undefined> }> = {
    "a range": { source: range(100, 119), chunk: { start: 10, count: 10 }, items: { 10: "110", 19: "119", 9: undefined, 20: undefined } },
    "a list, the chunk past its end (changed since cut)": { source: { source: { items: ["a", "b", "c"] } }, chunk: { start: 2, count: 2 }, items: { 2: "c", 3: undefined } },
    "blobs: the chunk's names": { source: blobs, chunk: { start: 5000, count: 2, items: ["scans/x.png", "scans/y.png"] }, items: { 5000: "scans/x.png", 5001: "scans/y.png", 4999: undefined, 5002: undefined } },
    "blobs: a chunk without names": { source: blobs, chunk: { start: 0, count: 2 }, items: { 0: undefined } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      const s = spec(tc.source);
      for (const [i, want] of Object.entries(tc.items)) assert.equal(chunkItem(s.source, tc.chunk, Number(i)), want, `item ${i}`);
    });
  }
});

describe("item ids", () => {
  const cases: Record<string, { prefix: string; index: number; id: string }> = {
    first: { prefix: "c", index: 0, id: "c-0" },
    "a prefix with hyphens": { prefix: "run-a", index: 12, id: "run-a-12" },
    "the largest index at the longest prefix fits a task id": { prefix: "p".repeat(56), index: 9_999_999, id: `${"p".repeat(56)}-9999999` },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      assert.equal(collectionItemId(tc.prefix, tc.index), tc.id);
      assert.ok(tc.id.length <= 64);
      assert.equal(collectionItemIndex(tc.prefix, tc.id), tc.index);
    });
  }
  const notItems: Record<string, [prefix: string, id: string]> = {
    "another prefix": ["c", "d-1"],
    "a longer prefix": ["run", "run-a-1"],
    "a leading zero": ["c", "c-01"],
    "no index": ["c", "c-"],
    "the prefix alone": ["c", "c"],
  };
  for (const [name, [prefix, id]] of Object.entries(notItems)) test(`${name} is no item`, () => assert.equal(collectionItemIndex(prefix, id), undefined));
  test("refuses a negative index", () => assert.throws(() => collectionItemId("c", -1), RangeError));
});

describe("blobUrlOf", () => {
  const cases: Record<string, { container: string; blob: string; want: string }> = {
    plain: { container, blob: "scans/page-1.png", want: `${container}/scans/page-1.png` },
    "spaces and '#' are encoded, '/' kept": { container, blob: "scans/Page 01#2.png", want: `${container}/scans/Page%2001%232.png` },
    "a SAS in the container URL is kept": { container: `${container}?sv=1&sig=a%3D`, blob: "a b.png", want: `${container}/a%20b.png?sv=1&sig=a%3D` },
    "a trailing slash": { container: `${container}/`, blob: "x.png", want: `${container}/x.png` },
  };
  for (const [name, tc] of Object.entries(cases)) test(name, () => assert.equal(blobUrlOf(tc.container, tc.blob), tc.want));
});

describe("collectionItemTask", () => {
  test("a range item: id, job, the number in the command line and environment, template fields kept", () => {
    const s = spec({
      ...range(10, 19),
      idPrefix: "sweep",
      task: {
        commandLine: "simulate --seed {} --run {index} ${HOME} {{x}}",
        environmentSettings: [{ name: "SEED", value: "{item}" }, { name: "EMPTY" }],
        constraints: { maxTaskRetryCount: 2, maxWallClockTime: "PT1M" },
        exitConditions: { default: { jobAction: "Terminate" } },
        resourceFiles: [{ httpUrl: "http://x/tool.sh", filePath: "tool.sh" }],
        requiredSlots: 2,
      },
      dependsOn: { taskIds: ["setup"] },
    });
    const r = collectionItemTask(s, 3, collectionItem(s.source, 3)!);
    assert.ok(r.ok);
    assert.deepEqual(r.value, {
      jobName: "j",
      id: "sweep-3",
      displayName: "13",
      commandLine: "simulate --seed 13 --run 3 ${HOME} {x}",
      environmentSettings: [{ name: "SEED", value: "13" }, { name: "EMPTY" }],
      constraints: { maxTaskRetryCount: 2, maxWallClockTime: "PT1M", retentionTime: "P7D" },
      exitConditions: { default: { jobAction: "Terminate" } },
      resourceFiles: [{ httpUrl: "http://x/tool.sh", filePath: "tool.sh", fileMode: "0770" }],
      requiredSlots: 2,
      dependsOn: { taskIds: ["setup"] },
    });
    // The agent's AZ_BATCH_* environment comes from the id, as for any task.
    assert.equal(batchEnvironment({ rootDir: "/r", poolId: "p", nodeId: "n", isDedicated: true }, { jobId: r.value.jobName, taskId: r.value.id! }).AZ_BATCH_TASK_ID, "sweep-3");
  });

  test("a blob item: {blobUrl}, {blobName} and {name}; the command line keeps each value one word, other fields take it as is", () => {
    const s = spec({
      source: { blobs: { containerUrl: `${container}?sig=s`, prefix: "scans/" } },
      task: {
        commandLine: "/bin/sh -c 'ocr.sh {blobUrl} {name}'",
        environmentSettings: [{ name: "BLOB", value: "{blobName}" }],
        outputFiles: [{ filePattern: "{name}.txt", destination: { container: { containerUrl: "http://x/out", path: "text/{blobName}.txt" } } }],
      },
    });
    const r = collectionItemTask(s, 0, "scans/it's 1.png");
    assert.ok(r.ok);
    const [sh, c, script] = splitCommandLine(r.value.commandLine);
    assert.deepEqual([sh, c], ["/bin/sh", "-c"]);
    assert.deepEqual(splitCommandLine(script!), ["ocr.sh", `${container}/scans/it's%201.png?sig=s`, "it's 1.png"]);
    assert.deepEqual(r.value.environmentSettings, [{ name: "BLOB", value: "scans/it's 1.png" }]);
    assert.equal(r.value.outputFiles?.[0]?.filePattern, "it's 1.png.txt");
    assert.equal(r.value.outputFiles?.[0]?.destination.container.path, "text/scans/it's 1.png.txt");
    assert.equal(r.value.id, "c-0");
  });

  test("a listed item: {name} is its base name", () => {
    const s = spec({ source: { items: ["/data/in/a b.png"] }, task: { commandLine: "ocr {name} {}" } });
    const r = collectionItemTask(s, 0, "/data/in/a b.png");
    assert.ok(r.ok);
    assert.equal(r.value.commandLine, "ocr 'a b.png' '/data/in/a b.png'");
  });

  test("an item that breaks a Task limit once filled in is a problem naming the task's field", () => {
    const s = spec({ source: { blobs: { containerUrl: container } }, task: { commandLine: "x", outputFiles: [{ filePattern: "{blobName}", destination: { container: { containerUrl: "http://x/out" } } }] } });
    const r = collectionItemTask(s, 0, "../../etc/passwd");
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.problems.map((p) => p.path), ["outputFiles[0].filePattern"]);
  });

  test("refuses an index outside the items", () => assert.throws(() => collectionItemTask(spec(range(0, 9)), 10, "10"), RangeError));
});
