import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { maxMessageBytes, terminationMessage } from './termination-message.ts';

test('terminationMessage gives the log tail of failed FallbackToLogsOnError containers only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubatch-tm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const short = join(dir, 'short.log');
  writeFileSync(short, 'starting\nboom: file not found\n');
  const long = join(dir, 'long.log');
  writeFileSync(long, Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n');
  const cases: Record<string, { policy?: string; exitCode: number; path: string; check: (m: string | undefined) => void }> = {
    'failed, fallback policy': { policy: 'FallbackToLogsOnError', exitCode: 3, path: short, check: (m) => assert.equal(m, 'starting\nboom: file not found\n') },
    'succeeded': { policy: 'FallbackToLogsOnError', exitCode: 0, path: short, check: (m) => assert.equal(m, undefined) },
    'default policy': { policy: 'File', exitCode: 3, path: short, check: (m) => assert.equal(m, undefined) },
    'long logs are cut to the tail': {
      policy: 'FallbackToLogsOnError',
      exitCode: 1,
      path: long,
      check: (m) => {
        assert.ok(m!.length <= maxMessageBytes);
        assert.match(m!, /line 499\n$/);
      },
    },
    'missing log': { policy: 'FallbackToLogsOnError', exitCode: 1, path: join(dir, 'none'), check: (m) => assert.equal(m, undefined) },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => tc.check(terminationMessage(tc.policy, tc.exitCode, tc.path)));
  }
});
