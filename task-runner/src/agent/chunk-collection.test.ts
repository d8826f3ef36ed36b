import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCollection, collectionUnavailable, lookUpCollection } from "./chunk-collection.ts";

const chunk = { collectionName: "c", jobName: "j", start: 0, count: 10, requiredSlots: 1 };
const tc = (spec: object) => ({ apiVersion: "kubatch.dev/v1alpha1", kind: "TaskCollection", metadata: { name: "c", namespace: "ns" }, spec: { jobName: "j", task: { commandLine: "echo {item}" }, ...spec } });

const cases: { name: string; raw: unknown; problem?: RegExp }[] = [
  { name: "a range collection of the chunk's job runs", raw: tc({ source: { range: { start: 0, end: 9 } } }) },
  { name: "not found", raw: undefined, problem: /TaskCollection c was not found/ },
  { name: "invalid", raw: tc({ source: { range: { start: 5, end: 1 } } }), problem: /TaskCollection c is invalid: .*start must not exceed end/ },
  { name: "blobs: the chunk carries their names", raw: tc({ source: { blobs: { containerUrl: "https://a.blob.core.windows.net/c" } } }) },
  { name: "of another job", raw: tc({ jobName: "other", source: { items: ["a"] } }), problem: /is of job other, the chunk of job j/ },
];

for (const c of cases) {
  test(`checkCollection: ${c.name}`, () => {
    const r = checkCollection(c.raw, chunk);
    if (!c.problem) return assert.equal(r.ok, true);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.failureInfo.code, collectionUnavailable);
    assert.equal(r.failureInfo.category, "UserError");
    assert.match(r.failureInfo.message ?? "", c.problem);
  });
}

test("lookUpCollection: a 404 is not found; other failures are retried", async () => {
  const notFound = await lookUpCollection(async () => Promise.reject(Object.assign(new Error("HTTP 404"), { code: 404 })), chunk, new AbortController().signal, () => undefined);
  assert.equal(notFound?.ok, false);
  let calls = 0;
  const later = await lookUpCollection(async () => (++calls < 2 ? Promise.reject(Object.assign(new Error("HTTP 503"), { code: 503 })) : tc({ source: { items: ["a"] } })), chunk, new AbortController().signal, () => undefined);
  assert.deepEqual([later?.ok, calls], [true, 2]);
  const stopped = new AbortController();
  stopped.abort();
  assert.equal(await lookUpCollection(async () => tc({}), chunk, stopped.signal, () => undefined), undefined, "stopped: no answer");
});
