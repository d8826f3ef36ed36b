import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { test } from "node:test";
import { defaultTaskOutputMaxBytes } from "../../../api/node-contract.ts";
import { CappedOutput, droppedNote, maxOutputBytes, newestBytes } from "./capped-output.ts";

/** `n` bytes of numbered characters, so that where each byte went can be seen. */
const bytes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String.fromCharCode(48 + ((from + i) % 75))).join("");

test("CappedOutput keeps the newest output within its cap, one previous generation on disk", async (t) => {
  const cases: Record<string, { maxBytes: number; before?: Record<string, string>; writes: string[]; files: Record<string, string>; dropped: number; closingLine?: string }> = {
    "under half the cap: one file": { maxBytes: 10, writes: ["abc", "d"], files: { "out.txt": "abcd" }, dropped: 0 },
    "exactly half: not rotated until more comes": { maxBytes: 10, writes: ["abcde"], files: { "out.txt": "abcde" }, dropped: 0 },
    "past half: the full half becomes out.txt.1": { maxBytes: 10, writes: ["abcde", "fg"], files: { "out.txt": "fg", "out.txt.1": "abcde" }, dropped: 0 },
    "one write across the half is split at it": { maxBytes: 10, writes: ["abcdefg"], files: { "out.txt": "fg", "out.txt.1": "abcde" }, dropped: 0 },
    "the second rotation drops the oldest generation": { maxBytes: 10, writes: ["abcdefghij", "kl"], files: { "out.txt": "kl", "out.txt.1": "fghij" }, dropped: 5 },
    "one write far past the cap keeps only its last two generations": { maxBytes: 10, writes: [bytes(1000)], files: { "out.txt": bytes(5, 995), "out.txt.1": bytes(5, 990) }, dropped: 990 },
    "the same bytes in small writes end the same": { maxBytes: 10, writes: Array.from({ length: 100 }, (_, i) => bytes(10, i * 10)), files: { "out.txt": bytes(5, 995), "out.txt.1": bytes(5, 990) }, dropped: 990 },
    "a big write after a rotation drops both older files": { maxBytes: 10, writes: ["abcdefg", bytes(12)], files: { "out.txt": bytes(4, 8), "out.txt.1": bytes(5, 3) }, dropped: 10 },
    "an odd cap: halves round down, the total stays under it": { maxBytes: 11, writes: [bytes(23)], files: { "out.txt": bytes(3, 20), "out.txt.1": bytes(5, 15) }, dropped: 15 },
    // A retry, or an agent restarted mid-task, writes on into the attempt before's files.
    "an existing file goes on from its size": { maxBytes: 10, before: { "out.txt": "abc", "out.txt.1": "vwxyz" }, writes: ["defg"], files: { "out.txt": "fg", "out.txt.1": "abcde" }, dropped: 5 },
    "an existing file over half (a larger cap before) is rotated first": { maxBytes: 10, before: { "out.txt": "abcdefgh" }, writes: ["ij"], files: { "out.txt": "ij", "out.txt.1": "abcdefgh" }, dropped: 0 },
    "the closing line goes through the cap too": { maxBytes: 10, writes: ["abcde"], closingLine: "end", files: { "out.txt": "end\n", "out.txt.1": "abcde" }, dropped: 0 },
    "nothing written: an empty file": { maxBytes: 10, writes: [], files: { "out.txt": "" }, dropped: 0 },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), "kubatch-capped-"));
      try {
        for (const [f, text] of Object.entries(tc.before ?? {})) writeFileSync(join(dir, f), text);
        const path = join(dir, "out.txt");
        const out = new CappedOutput(path, tc.maxBytes, { closingLine: () => tc.closingLine });
        for (const w of tc.writes) out.write(w);
        out.end();
        await finished(out);
        const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
        assert.deepEqual(files, tc.files);
        assert.equal(out.dropped, tc.dropped);
        assert.equal(out.lost, 0);
        const kept = (tc.files["out.txt.1"] ?? "") + tc.files["out.txt"];
        assert.equal((await newestBytes(path, 6)).toString(), kept.slice(-6), "the newest bytes read across both generations");
        if (!tc.before) {
          assert.ok(kept.length <= tc.maxBytes);
          assert.ok((tc.writes.join("") + (tc.closingLine ? `${tc.closingLine}\n` : "")).endsWith(kept), "what is kept is the newest output, in order");
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test("CappedOutput counts what it cannot write and still takes everything", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubatch-capped-"));
  try {
    const out = new CappedOutput(join(dir, "missing", "out.txt"), 10);
    let errors = 0;
    out.on("error", () => errors++);
    for (let i = 0; i < 5; i++) assert.equal(out.write("abc"), true);
    out.end();
    await finished(out);
    assert.equal(out.lost, 15);
    assert.equal(errors, 0);
    assert.match(out.failure?.message ?? "", /ENOENT/);
    assert.match(droppedNote([out]) ?? "", /^kubatch: 15 bytes of out\.txt lost: writing it failed \(ENOENT/);
    assert.equal(existsSync(join(dir, "missing")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CappedOutput keeps up with a large stream under a small cap", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubatch-capped-"));
  try {
    const path = join(dir, "out.txt");
    const out = new CappedOutput(path, 64 * 1024);
    const chunk = Buffer.from(bytes(65_536));
    for (let i = 0; i < 160; i++) if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
    out.end();
    await finished(out);
    assert.equal(statSync(path).size + statSync(`${path}.1`).size, 64 * 1024);
    assert.equal(out.dropped, 160 * 65_536 - 64 * 1024);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("droppedNote says how much of which file is gone, and why", () => {
  const cases: Record<string, { outputs: Parameters<typeof droppedNote>[0]; want?: string }> = {
    "nothing dropped: no note": { outputs: [{ path: "/t/stdout.txt", maxBytes: 10, dropped: 0, lost: 0 }] },
    "one file over its cap": {
      outputs: [{ path: "/t/stdout.txt", maxBytes: 64 * 1024 * 1024, dropped: 1234, lost: 0 }, { path: "/t/stderr.txt", maxBytes: 64 * 1024 * 1024, dropped: 0, lost: 0 }],
      want: "kubatch: 1234 bytes of stdout.txt dropped, the oldest: stdout.txt and stdout.txt.1 keep the newest 64 MiB (KUBATCH_TASK_OUTPUT_MAX_BYTES of the node's tasks container)",
    },
    "both, and a failed write": {
      outputs: [{ path: "/t/stdout.txt", maxBytes: 100, dropped: 7, lost: 0 }, { path: "/t/stderr.txt", maxBytes: 100, dropped: 8, lost: 3, failure: new Error("ENOSPC: no space left on device") }],
      want:
        "kubatch: 7 bytes of stdout.txt dropped, the oldest: stdout.txt and stdout.txt.1 keep the newest 100 bytes (KUBATCH_TASK_OUTPUT_MAX_BYTES of the node's tasks container); " +
        "8 bytes of stderr.txt dropped, the oldest: stderr.txt and stderr.txt.1 keep the newest 100 bytes (KUBATCH_TASK_OUTPUT_MAX_BYTES of the node's tasks container); " +
        "3 bytes of stderr.txt lost: writing it failed (ENOSPC: no space left on device)",
    },
  };
  for (const [name, tc] of Object.entries(cases)) assert.equal(droppedNote(tc.outputs), tc.want, name);
});

test("maxOutputBytes reads the tasks container's KUBATCH_TASK_OUTPUT_MAX_BYTES", () => {
  const cases: Record<string, { value?: string; want?: number; error?: RegExp }> = {
    "unset: the default": { want: defaultTaskOutputMaxBytes },
    "empty: the default": { value: "", want: defaultTaskOutputMaxBytes },
    "a number of bytes": { value: "1048576", want: 1_048_576 },
    "the smallest cap": { value: "2", want: 2 },
    "too small": { value: "1", error: /KUBATCH_TASK_OUTPUT_MAX_BYTES: must be a whole number of bytes, at least 2, got "1"$/ },
    "not a number": { value: "64Mi", error: /KUBATCH_TASK_OUTPUT_MAX_BYTES: .*got "64Mi"/ },
    "negative": { value: "-5", error: /KUBATCH_TASK_OUTPUT_MAX_BYTES/ },
    "a fraction": { value: "10.5", error: /KUBATCH_TASK_OUTPUT_MAX_BYTES/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const env = tc.value === undefined ? {} : { KUBATCH_TASK_OUTPUT_MAX_BYTES: tc.value };
    if (tc.error) assert.throws(() => maxOutputBytes(env), tc.error, name);
    else assert.equal(maxOutputBytes(env), tc.want, name);
  }
});
