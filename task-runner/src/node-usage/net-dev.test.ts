import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNetDev, readNetDev } from "./net-dev.ts";

test("/proc/net/dev: every interface but loopback, receive and transmit bytes", () => {
  const text = [
    "Inter-|   Receive                                                |  Transmit",
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
    "    lo: 9826040052 8103206    0    0    0     0          0         0 9826040052 8103206    0    0    0     0       0          0",
    "  eth0:   123456     100    0    0    0     0          0         0    654321     90    0    0    0     0       0          0",
    "  net1:1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0",
  ].join("\n");
  assert.deepEqual(parseNetDev(text), { inBytes: 124456, outBytes: 656321 });
});

test("a missing file reads as no traffic; this machine's has its interfaces", async () => {
  assert.deepEqual(await readNetDev("/nonexistent/net/dev"), { inBytes: 0, outBytes: 0 });
  const own = await readNetDev();
  assert.ok(own.inBytes >= 0 && own.outBytes >= 0);
});
