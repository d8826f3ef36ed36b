import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chunkRanges } from "../../../api/collection-chunk.ts";
import { cutListing, listingLimits, TooManyBlobs, type ListedChunk, type ListingLimits } from "./blob-listing.ts";

async function* listing(names: readonly string[]): AsyncGenerator<string> {
  yield* names;
}
const names = (count: number, width = 6) => Array.from({ length: count }, (_, i) => `scans/${String(i).padStart(width, "0")}.png`);
const cut = async (all: readonly string[], limits?: Partial<ListingLimits>) => {
  const out: ListedChunk[] = [];
  for await (const c of cutListing(listing(all), { ...listingLimits, ...limits })) out.push(c);
  return out;
};
const shape = (chunks: ListedChunk[]) => chunks.map((c) => [c.n, c.start, c.items.length]);

describe("cutListing", () => {
  const cases: Record<string, { count: number; limits?: Partial<ListingLimits>; want: (chunks: ListedChunk[]) => void }> = {
    "a small container: cut as a range of as many items (spread over the pool)": {
      count: 100,
      want: (c) => assert.deepEqual(shape(c), chunkRanges(100).map((r, n) => [n, r.start, r.count])),
    },
    "an empty container: no chunks": { count: 0, want: (c) => assert.deepEqual(c, []) },
    "the whole buffer, listing ended: sizes as for a range": {
      count: 2_000,
      limits: { bufferItems: 2_000 },
      want: (c) => assert.deepEqual(shape(c).map(([, , k]) => k), Array(2).fill(1000)),
    },
    "past the buffer with long names: closed by characters, then by count": {
      count: 2_500,
      limits: { bufferItems: 1_200, maxChars: 16 * 600 },
      want: (c) => assert.deepEqual(c.map((x) => x.items.length), [600, 600, 600, 600, 100]),
    },
    "past the buffer: chunks of 1,000 as the names come, the last one the rest": {
      count: 2_500,
      limits: { bufferItems: 1_200 },
      want: (c) => assert.deepEqual(shape(c), [[0, 0, 1000], [1, 1000, 1000], [2, 2000, 500]]),
    },
    "long names: a chunk closes before its names pass maxChars": {
      // 16-character names, 38 a chunk by count (chunkSize(1,200)), 30 by characters.
      count: 1_200,
      limits: { maxChars: 16 * 30 },
      want: (c) => assert.deepEqual(c.map((x) => x.items.length), Array(40).fill(30)),
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, async () => {
      const all = names(tc.count);
      const chunks = await cut(all, tc.limits);
      tc.want(chunks);
      // Whatever the cut: every name once, in order, each chunk starting where the one before ended.
      assert.deepEqual(chunks.flatMap((c) => c.items), all);
      chunks.forEach((c, i) => assert.equal(c.start, i === 0 ? 0 : chunks[i - 1]!.start + chunks[i - 1]!.items.length));
    });
  }

  test("more blobs than a collection holds: refused, naming the limit", async () => {
    await assert.rejects(cut(names(51), { maxItems: 50 }), (err: unknown) => err instanceof TooManyBlobs && /more than 50 blobs match/.test(String(err)));
  });
});
