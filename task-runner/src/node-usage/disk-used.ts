// The bytes a node's root folder holds, as `du` counts them (allocated blocks, each hard-linked
// file once). The walk is bounded: a root of more entries than maxEntries is reported as what
// the first maxEntries hold, and `complete` says so, so a sample never costs more than that.
import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

export const defaultMaxEntries = 200_000;

export async function diskUsed(root: string, maxEntries = defaultMaxEntries): Promise<{ bytes: number; entries: number; complete: boolean }> {
  let bytes = 0;
  let entries = 0;
  const seen = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let handle;
    try {
      handle = await opendir(dir);
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    for await (const entry of handle) {
      if (++entries > maxEntries) return { bytes, entries: maxEntries, complete: false };
      const path = join(dir, entry.name);
      try {
        const st = await lstat(path);
        if (st.nlink > 1) {
          const id = `${st.dev}:${st.ino}`;
          if (seen.has(id)) continue;
          seen.add(id);
        }
        bytes += st.blocks * 512;
        if (st.isDirectory()) pending.push(path);
      } catch {
        // removed between the listing and the stat
      }
    }
  }
  return { bytes, entries, complete: true };
}
