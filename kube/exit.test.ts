import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";

/** Runs a child that writes `bytes` to `stream` and exits with 3, read by a slow reader; what arrived, and its exit code. */
async function runChild(stream: "stdout" | "stderr", bytes: number, flush: boolean): Promise<{ received: number; code: number | null }> {
  const exit = flush ? `(await import(${JSON.stringify(new URL("./exit.ts", import.meta.url).href)})).exitAfterFlush(3)` : "process.exit(3)";
  const child = spawn(process.execPath, ["--input-type=module", "-e", `process.${stream}.write(Buffer.alloc(${bytes}, 120)); ${exit};`], {
    stdio: ["ignore", "pipe", "pipe"],
    // The test runner marks its own children through this variable; this child is a plain program.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  let received = 0;
  // A slow reader: it stops after the first chunk until the child has long finished writing and its pipe (64 KiB) is full.
  child[stream].on("data", (c: Buffer) => {
    if (received === 0) {
      child[stream].pause();
      setTimeout(() => child[stream].resume(), 300);
    }
    received += c.length;
  });
  child[stream === "stdout" ? "stderr" : "stdout"].resume();
  const code = await closed;
  return { received, code };
}

test("exitAfterFlush exits with its code only after a slow reader has every byte; process.exit alone drops them", async (t) => {
  const cases = [
    { stream: "stdout", bytes: 3_000_000, flush: true, whole: true },
    { stream: "stderr", bytes: 3_000_000, flush: true, whole: true },
    { stream: "stdout", bytes: 10, flush: true, whole: true },
    // The failure it fixes (`kubatch task file get … | cmd` lost the tail of a file).
    { stream: "stdout", bytes: 3_000_000, flush: false, whole: false },
  ] as const;
  for (const c of cases) {
    await t.test(`${c.bytes} bytes on ${c.stream}, ${c.flush ? "exitAfterFlush" : "process.exit"}`, async () => {
      const { received, code } = await runChild(c.stream, c.bytes, c.flush);
      assert.equal(code, 3);
      if (c.whole) assert.equal(received, c.bytes);
      else assert.ok(received < c.bytes, `received ${received} of ${c.bytes}`);
    });
  }
});
