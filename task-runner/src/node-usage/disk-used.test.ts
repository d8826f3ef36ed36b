import assert from "node:assert/strict";
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { diskUsed } from "./disk-used.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-disk-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("the bytes under a root, a hard-linked file once, the walk bounded", async () => {
  const dir = join(root, "node");
  mkdirSync(join(dir, "workitems", "job", "task", "wd"), { recursive: true });
  writeFileSync(join(dir, "workitems", "job", "task", "wd", "out.bin"), Buffer.alloc(1 << 20, 1));
  const once = await diskUsed(dir);
  assert.ok(once.bytes >= 1 << 20, `${once.bytes} bytes`);
  assert.ok(once.bytes < 2 << 20, `${once.bytes} bytes`);
  assert.equal(once.complete, true);

  linkSync(join(dir, "workitems", "job", "task", "wd", "out.bin"), join(dir, "workitems", "link.bin"));
  const linked = await diskUsed(dir);
  assert.ok(linked.bytes - once.bytes < 1 << 20, "the hard link is not counted again");

  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), "x");
  const bounded = await diskUsed(dir, 5);
  assert.equal(bounded.complete, false);
  assert.equal(bounded.entries, 5);

  assert.deepEqual(await diskUsed(join(root, "missing")), { bytes: 0, entries: 0, complete: true });
});
