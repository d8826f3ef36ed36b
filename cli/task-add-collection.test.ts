import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildCollection, defaultCollectionName, describeCollection, type CollectionOptions, type CollectionSource } from "./task-add-collection.ts";

const options = (o: Partial<CollectionOptions> = {}): CollectionOptions => ({ job: "sweep", name: defaultCollectionName("sweep"), command: "simulate --seed {}", env: [], resourceFiles: [], ...o });
const range = (from: number, to: number): CollectionSource => ({ range: { from, to } });
const container = "http://127.0.0.1:10000/devstoreaccount1/images";

describe("buildCollection", () => {
  const cases: Record<string, { source: CollectionSource; o?: Partial<CollectionOptions>; spec: Record<string, unknown>; said: string }> = {
    "a range of a million: one object, the template as written": {
      source: range(0, 999_999),
      spec: { jobName: "sweep", source: { range: { start: 0, end: 999_999 } }, task: { commandLine: "simulate --seed {}" } },
      said: "taskcollection sweep-tasks of job sweep (namespace ns): 1000000 items, task ids sweep-tasks-0 … sweep-tasks-999999",
    },
    "files: their paths as listed items": {
      source: { files: ["/in/a b.png", "/in/c.png"] },
      o: { name: "pages", command: "ocr {name}" },
      spec: { jobName: "sweep", source: { items: ["/in/a b.png", "/in/c.png"] }, task: { commandLine: "ocr {name}" } },
      said: "taskcollection pages of job sweep (namespace ns): 2 items, task ids pages-0 … pages-1",
    },
    "blobs under a prefix: listed by the operator": {
      source: { blobs: { containerUrl: `${container}?sig=x`, prefix: "scans/" } },
      o: { command: "ocr.sh {blobUrl} {name}" },
      spec: { jobName: "sweep", source: { blobs: { containerUrl: `${container}?sig=x`, prefix: "scans/" } }, task: { commandLine: "ocr.sh {blobUrl} {name}" } },
      said: `taskcollection sweep-tasks of job sweep (namespace ns): the blobs under "scans/" in ${container} (listed by the operator), task ids sweep-tasks-<index>`,
    },
    "task options: constraints, environment templates as written, fixed resource files": {
      source: range(7, 7),
      o: { maxRetries: 2, maxWallClock: "5m", env: [{ name: "SEED", value: "{item}" }], resourceFiles: [{ url: "http://x/tools/sim.sh" }, { url: "http://x/a?b={{c}}", path: "cfg/a" }] },
      spec: {
        jobName: "sweep",
        source: { range: { start: 7, end: 7 } },
        task: {
          commandLine: "simulate --seed {}",
          constraints: { maxTaskRetryCount: 2, maxWallClockTime: "5m" },
          environmentSettings: [{ name: "SEED", value: "{item}" }],
          resourceFiles: [
            { httpUrl: "http://x/tools/sim.sh", filePath: "sim.sh", fileMode: "0770" },
            { httpUrl: "http://x/a?b={c}", filePath: "cfg/a", fileMode: "0770" },
          ],
        },
      },
      said: "taskcollection sweep-tasks of job sweep (namespace ns): 1 item, task ids sweep-tasks-0",
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      const object = buildCollection(tc.source, options(tc.o));
      assert.equal(object.kind, "TaskCollection");
      assert.deepEqual(object.metadata, { name: tc.o?.name ?? "sweep-tasks", labels: { "kubatch.dev/job": "sweep" } });
      assert.deepEqual(object.spec, tc.spec);
      assert.equal(describeCollection(object, "ns"), tc.said);
    });
  }

  const refused: Record<string, { source: CollectionSource; o?: Partial<CollectionOptions>; message: RegExp }> = {
    "more than 10,000 files": { source: { files: Array.from({ length: 10_001 }, (_, i) => `/in/${i}.png`) }, message: /--from-files: 10001 files match; a collection lists at most 10000/ },
    "a resource file with placeholders": { source: range(0, 1), o: { resourceFiles: [{ url: "http://x/{item}.cfg" }] }, message: /--resource-file: "http:\/\/x\/\{item\}\.cfg" has placeholders, which --collection does not fill in/ },
    "a name that is no id prefix, naming the field and the option": { source: range(0, 1), o: { name: "sweep.v2" }, message: /spec\.idPrefix: required when metadata\.name is not an id prefix.*\(choose another --name\)/ },
    "a negative range, naming the field": { source: range(-1, 5), message: /spec\.source\.range\.start/ },
    "a blob placeholder over a range, naming the field": { source: range(0, 1), o: { command: "get {blobUrl}" }, message: /spec\.task\.commandLine: uses \{blobUrl\} or \{blobName\}, which only source\.blobs fills/ },
    "a bare container name": { source: { blobs: { containerUrl: "images" } }, message: /spec\.source\.blobs\.containerUrl: must be an http/ },
  };
  for (const [name, tc] of Object.entries(refused)) test(`refuses ${name}`, () => assert.throws(() => buildCollection(tc.source, options(tc.o)), tc.message));
});
