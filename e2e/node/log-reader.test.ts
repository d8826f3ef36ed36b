import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stampLines, streamLog, tail, type LogOptions } from './log-reader.ts';

const tailCases: Record<string, { text: string; n: number; want: string }> = {
  'last two lines': { text: 'a\nb\nc\n', n: 2, want: 'b\nc\n' },
  'more than there are': { text: 'a\nb\n', n: 10, want: 'a\nb\n' },
  'no trailing newline': { text: 'a\nb\nc', n: 1, want: 'c' },
  'zero': { text: 'a\n', n: 0, want: '' },
};
for (const [name, tc] of Object.entries(tailCases)) {
  test(`tail: ${name}`, () => assert.equal(tail(tc.text, tc.n), tc.want));
}

test('stampLines prefixes every non-empty line', () => {
  assert.equal(stampLines('a\nb\n', new Date('2025-01-01T00:00:00Z')), '2025-01-01T00:00:00.000Z a\n2025-01-01T00:00:00.000Z b\n');
});

function collector() {
  const parts: string[] = [];
  return { out: { write: (s: string | Buffer) => { parts.push(s.toString()); return true; } }, text: () => parts.join('') };
}

const streamCases: Record<string, { opts: LogOptions; want: string }> = {
  'whole file': { opts: {}, want: 'one\ntwo\nthree\n' },
  'tailLines': { opts: { tailLines: 1 }, want: 'three\n' },
  'limitBytes': { opts: { limitBytes: 5 }, want: 'one\nt' },
};
for (const [name, tc] of Object.entries(streamCases)) {
  test(`streamLog: ${name}`, async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubatch-log-')), '0.log');
    writeFileSync(file, 'one\ntwo\nthree\n');
    const c = collector();
    await streamLog(file, tc.opts, () => false, c.out, new AbortController().signal);
    assert.equal(c.text(), tc.want);
  });
}

test('streamLog follows until the container stops', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubatch-log-')), '0.log');
  writeFileSync(file, 'first\n');
  let running = true;
  const c = collector();
  const done = streamLog(file, { follow: true }, () => running, c.out, new AbortController().signal);
  await sleep(300);
  appendFileSync(file, 'second\n');
  await sleep(300);
  running = false;
  await done;
  assert.equal(c.text(), 'first\nsecond\n');
});
