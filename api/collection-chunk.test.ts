import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chunkCount, chunkName, chunkRanges, chunkSize, collectionChunkNames, collectionChunkStatusSchema, compactFailure, failureItemBytes, failureMessageBytes, failureStderrBytes, MAX_CHUNK_FAILURES, MAX_CHUNK_ITEMS } from "./collection-chunk.ts";
import { MAX_LISTED_FAILURES, maxItemChars, taskCollectionStatusSchema, type CollectionFailure } from "./task-collection.ts";

describe("cutting a collection into chunks", () => {
  const cases: Record<string, { items: number; size: number; chunks: number; last: number }> = {
    "fewer items than the smallest chunk: one chunk": { items: 3, size: 10, chunks: 1, last: 3 },
    "small: chunks of 10 spread over the slots": { items: 100, size: 10, chunks: 10, last: 10 },
    "about 32 chunks": { items: 20_000, size: 625, chunks: 32, last: 625 },
    "uneven: the last chunk smaller": { items: 1001, size: 32, chunks: 32, last: 9 },
    "a million: chunks of the largest size": { items: 1_000_000, size: MAX_CHUNK_ITEMS, chunks: 1000, last: MAX_CHUNK_ITEMS },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => {
      assert.equal(chunkSize(tc.items), tc.size);
      const ranges = chunkRanges(tc.items);
      assert.equal(ranges.length, tc.chunks);
      assert.equal(chunkCount(tc.items), tc.chunks);
      assert.equal(ranges.at(-1)!.count, tc.last);
      // Consecutive, no gap, no overlap, every item once.
      let next = 0;
      for (const r of ranges) {
        assert.equal(r.start, next);
        next += r.count;
      }
      assert.equal(next, tc.items);
    });
  }

  it("names chunks <collection>-c<n>, cutting a long collection name to fit", () => {
    assert.equal(chunkName("render", 7), "render-c7");
    const long = "x".repeat(collectionChunkNames.maxNameLength);
    assert.equal(chunkName(long, 999).length, collectionChunkNames.maxNameLength);
    assert.match(chunkName(long, 999), /x-c999$/);
  });
});

describe("failure lists stay small whatever the tasks print", () => {
  // The worst a failed item can bring: the longest item, message and stderr, in 3-byte characters.
  const worst: CollectionFailure = {
    index: 9_999_999,
    id: `${"p".repeat(56)}-9999999`,
    item: "€".repeat(maxItemChars),
    exitCode: -2147483648,
    failureInfo: { category: "UserError", code: "X".repeat(256), message: "€".repeat(4096) },
    stderrTail: "€".repeat(4096),
    retryCount: 2147483647,
    nodeId: "n".repeat(253),
  };
  const limit = 256 * 1024;

  it("a compact failure: stderr its last KiB (whole characters), message and item cut", () => {
    const f = compactFailure(worst);
    assert.ok(Buffer.byteLength(f.stderrTail) <= failureStderrBytes);
    assert.match(f.stderrTail, /^€+$/);
    assert.ok(Buffer.byteLength(f.failureInfo.message!) <= failureMessageBytes && /^€+…$/.test(f.failureInfo.message!));
    assert.ok(Buffer.byteLength(f.item!) <= failureItemBytes && /^€+…$/.test(f.item!));
    assert.deepEqual(compactFailure({ ...worst, item: "a", stderrTail: "short", failureInfo: { category: "UserError", code: "C", message: "m" } }), { ...worst, item: "a", stderrTail: "short", failureInfo: { category: "UserError", code: "C", message: "m" } });
  });

  const cases: Record<string, { schema: { parse: (v: unknown) => unknown }; entries: number; extra: object }> = {
    [`a chunk's status with ${MAX_CHUNK_FAILURES} worst failures`]: { schema: collectionChunkStatusSchema, entries: MAX_CHUNK_FAILURES, extra: { state: "Completed", done: 1000, succeeded: 0, failed: 1000, failuresNotListed: 1000 - MAX_CHUNK_FAILURES } },
    [`a collection's status with ${MAX_LISTED_FAILURES} worst failures`]: { schema: taskCollectionStatusSchema, entries: MAX_LISTED_FAILURES, extra: { state: "Completed", itemCount: 10_000_000, failuresNotListed: 9_999_900 } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: valid and under 256 KiB`, (t) => {
      const status = { ...tc.extra, failures: Array.from({ length: tc.entries }, () => compactFailure(worst)) };
      tc.schema.parse(status);
      const bytes = Buffer.byteLength(JSON.stringify(status));
      assert.ok(bytes < limit, `${bytes} bytes`);
      t.diagnostic(`${bytes} bytes`);
    });
  }
});
