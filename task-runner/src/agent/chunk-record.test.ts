// A chunk's record: whose it is, what survives a torn append, and where a restarted agent goes on.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { chunkRecordFileName, createChunkRecord, openChunkRecord, parseChunkRecord, readChunkRecord, removeChunkRecord, resumePoint, type ChunkHeader, type ItemResult, type ItemStart } from "./chunk-record.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-chunk-record-"));
after(() => rmSync(root, { recursive: true, force: true }));

const header: ChunkHeader = { uid: "u1", assignment: "a1", first: 10, startTime: "2026-01-01T00:00:00.000Z", base: { done: 0, succeeded: 0, failed: 0, failures: [], failuresNotListed: 0 } };
const ok = (index: number): ItemResult => ({ index, id: `c-${index}`, item: String(index), result: "Success", exitCode: 0, retryCount: 0 });
const start = (i: number, retryCount = 0, interruptions = 0, at = `2026-01-01T00:00:0${retryCount}.000Z`): ItemStart => ({ start: i, retryCount, interruptions, at });
const lines = (...ls: object[]) => ls.map((l) => JSON.stringify(l) + "\n").join("");

type Case = { name: string; text: string; uid?: string; assignment?: string; want?: { results: number[]; starts: number; next: number; resume?: { attempts: number; interruptions: number; lastRetry: boolean } } };
const cases: Case[] = [
  { name: "header only: start at the first item", text: lines(header), want: { results: [], starts: 0, next: 10 } },
  { name: "finished items: go on after the last", text: lines(header, start(10), ok(10), start(11), ok(11)), want: { results: [10, 11], starts: 0, next: 12 } },
  { name: "an item started, not finished: resumed as an interrupted attempt", text: lines(header, start(10), ok(10), start(11)), want: { results: [10], starts: 1, next: 11, resume: { attempts: 1, interruptions: 1, lastRetry: false } } },
  { name: "retried, then interrupted: its attempts count", text: lines(header, start(10), start(10, 1, 0), start(10, 2, 1)), want: { results: [], starts: 3, next: 10, resume: { attempts: 3, interruptions: 2, lastRetry: true } } },
  { name: "a torn last line is ignored", text: lines(header, start(10), ok(10)) + '{"index":11,"id"', want: { results: [10], starts: 0, next: 11 } },
  { name: "a line out of order ends the record", text: lines(header, ok(10), ok(12), ok(11)), want: { results: [10], starts: 0, next: 11 } },
  { name: "another uid: no record", text: lines(header, ok(10)), uid: "u2" },
  { name: "another assignment (requeued): no record", text: lines(header, ok(10)), assignment: "a2" },
  { name: "a torn header: no record", text: '{"uid":"u1"', },
  { name: "empty: no record", text: "" },
  { name: "a foreign header: no record", text: lines({ uid: "u1", assignment: "a1" }) },
];

describe("parseChunkRecord and resumePoint", () => {
  for (const c of cases) {
    test(c.name, () => {
      const r = parseChunkRecord(c.text, c.uid ?? "u1", c.assignment ?? "a1");
      if (!c.want) return assert.equal(r, undefined);
      assert.ok(r);
      const p = resumePoint(r);
      assert.deepEqual(
        { results: r.results.map((x) => x.index), starts: r.starts.length, next: p.next, resume: p.resume && { attempts: p.resume.attempts, interruptions: p.resume.interruptions, lastRetry: p.resume.lastRetryTime !== undefined } },
        { resume: undefined, ...c.want },
      );
      // What is kept ends at a line's end: the rest is cut off before appending.
      assert.equal(c.text.slice(0, r.cleanLength).endsWith("\n"), true);
      if (p.resume) assert.equal(p.resume.startTime.toISOString(), r.starts[0]!.at, "the item's start time is its first attempt's");
    });
  }
});

test("records on disk: created whole, appended after a torn line, replaced for a new assignment, removed", async () => {
  const dir = join(root, "c1");
  await createChunkRecord(dir, header);
  let w = await openChunkRecord(dir, (await readChunkRecord(dir, "u1", "a1"))!);
  await w.append(start(10));
  await w.append(ok(10));
  await w.close();
  appendFileSync(join(dir, chunkRecordFileName), '{"start":11,"retr'); // the agent died mid-append
  const r = (await readChunkRecord(dir, "u1", "a1"))!;
  assert.deepEqual(r.results.map((x) => x.index), [10]);
  w = await openChunkRecord(dir, r);
  await w.append(start(11));
  await w.close();
  const again = (await readChunkRecord(dir, "u1", "a1"))!;
  assert.deepEqual({ results: again.results.length, starts: again.starts.map((s) => s.start) }, { results: 1, starts: [11] }, "the torn line is gone, the new one read");
  assert.equal(readFileSync(join(dir, chunkRecordFileName), "utf8").split("\n").length, 5, "header, 3 lines, final newline");
  assert.equal(await readChunkRecord(dir, "u1", "a2"), undefined, "requeued: the old record is not this run's");
  await createChunkRecord(dir, { ...header, assignment: "a2" });
  assert.deepEqual((await readChunkRecord(dir, "u1", "a2"))?.results, []);
  await removeChunkRecord(dir);
  assert.equal(existsSync(join(dir, chunkRecordFileName)), false);
});
