// Bytes in and out of the pod's network namespace, from /proc/net/dev (the agent shares the
// pod's namespace with the tasks container): every interface but loopback, which is traffic
// between the pod's own processes.
import { readFile } from "node:fs/promises";

export function parseNetDev(text: string): { inBytes: number; outBytes: number } {
  let inBytes = 0;
  let outBytes = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then Transmit: bytes …
    if (name === "lo" || fields.length < 9 || !/^\d+$/.test(fields[0]!) || !/^\d+$/.test(fields[8]!)) continue;
    inBytes += Number(fields[0]);
    outBytes += Number(fields[8]);
  }
  return { inBytes, outBytes };
}

export async function readNetDev(path = "/proc/net/dev"): Promise<{ inBytes: number; outBytes: number }> {
  try {
    return parseNetDev(await readFile(path, "utf8"));
  } catch {
    return { inBytes: 0, outBytes: 0 };
  }
}
