import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chunkName, chunkRanges, chunkSize, collectionChunkNames, MAX_CHUNK_ITEMS } from "./collection-chunk.ts";

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
