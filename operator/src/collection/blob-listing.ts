// Cuts a blob source's names, as a container lists them (name order), into chunks (pure but for
// the iteration): the same sizes as a range of as many items (chunkSize) when the listing ends
// within `bufferItems` names, so a small container still spreads over the pool; past that,
// chunks of MAX_CHUNK_ITEMS as the names come, so a million blobs never sit in memory at once.
// A chunk also closes before its names pass `maxChars`. The cut depends on the names alone: a
// listing again after a crash cuts the same chunks (as long as the container did not change).
import { CHUNKS_PER_COLLECTION, chunkSize, MAX_CHUNK_ITEMS, maxChunkItemsChars } from "../../../api/collection-chunk.ts";
import { MAX_COLLECTION_ITEMS } from "../../../api/task-collection.ts";

/** Chunk `n`: items start..start+items.length-1, the blobs' names. */
export type ListedChunk = { n: number; start: number; items: string[] };

export type ListingLimits = { bufferItems: number; maxChars: number; maxItems: number };

export const listingLimits: ListingLimits = { bufferItems: CHUNKS_PER_COLLECTION * MAX_CHUNK_ITEMS, maxChars: maxChunkItemsChars, maxItems: MAX_COLLECTION_ITEMS };

/** The listing holds more blobs than a collection may. */
export class TooManyBlobs extends Error {}

export async function* cutListing(names: AsyncIterable<string>, limits: ListingLimits = listingLimits): AsyncGenerator<ListedChunk> {
  let n = 0;
  let start = 0;
  let buffer: string[] = [];
  let chars = 0;
  let streaming = false;
  /** The first chunk of the buffer, at most `size` names and `maxChars` characters (at least one name). */
  const take = (size: number): ListedChunk => {
    let k = 0;
    let used = 0;
    while (k < buffer.length && k < size && (k === 0 || used + buffer[k]!.length <= limits.maxChars)) used += buffer[k++]!.length;
    const items = buffer.slice(0, k);
    buffer = buffer.slice(k);
    chars -= used;
    const chunk = { n: n++, start, items };
    start += k;
    return chunk;
  };
  for await (const name of names) {
    if (start + buffer.length >= limits.maxItems) throw new TooManyBlobs(`more than ${limits.maxItems} blobs match: a collection holds at most ${limits.maxItems} items (narrow source.blobs.prefix)`);
    buffer.push(name);
    chars += name.length;
    if (buffer.length >= limits.bufferItems) streaming = true;
    while (streaming && (buffer.length >= MAX_CHUNK_ITEMS || chars > limits.maxChars)) yield take(MAX_CHUNK_ITEMS);
  }
  const size = streaming ? MAX_CHUNK_ITEMS : chunkSize(buffer.length);
  while (buffer.length > 0) yield take(size);
}
