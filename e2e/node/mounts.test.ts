import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { preludeScript, shellQuote, wrappedArgv } from './mounts.ts';

const quoteCases: Record<string, { in: string; want: string }> = {
  'plain': { in: '/a/b', want: "'/a/b'" },
  'spaces': { in: '/a b', want: "'/a b'" },
  'single quote': { in: "it's", want: "'it'\\''s'" },
};
for (const [name, tc] of Object.entries(quoteCases)) {
  test(`shellQuote: ${name}`, () => assert.equal(shellQuote(tc.in), tc.want));
}

test('preludeScript mounts parents first and remounts read-only', () => {
  const s = preludeScript([
    { source: '/v/b', target: '/data/sub', readOnly: false, file: false },
    { source: '/v/a', target: '/data', readOnly: true, file: false },
    { source: '/v/f', target: '/etc/app.conf', readOnly: false, file: true },
  ], '/work');
  const lines = s.split('\n');
  assert.ok(lines.indexOf("mount --bind '/v/a' '/data'") < lines.indexOf("mount --bind '/v/b' '/data/sub'"));
  assert.ok(lines.includes("mount -o remount,bind,ro '/data'"));
  assert.ok(lines.includes("[ -e '/etc/app.conf' ] || : > '/etc/app.conf'"));
  assert.equal(lines.at(-1), 'exec "$@"');
});

// Runs the real wrapper: needs root and unshare (skipped elsewhere).
test('wrapped process sees its volume at the mountPath, read-only', { skip: process.getuid?.() !== 0 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubatch-mounts-'));
  const vol = path.join(dir, 'vol');
  execFileSync('mkdir', ['-p', vol]);
  writeFileSync(path.join(vol, 'token'), 'secret-token');
  const target = path.join(dir, 'var/run/secrets/sa');
  const argv = wrappedArgv([{ source: vol, target, readOnly: true, file: false }], dir,
    ['sh', '-c', `cat ${target}/token; echo x > ${target}/w 2>/dev/null || echo " ro"; pwd`]);
  const out = execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  assert.equal(out, `secret-token ro\n${dir}\n`);
  // The host does not see the mount.
  assert.deepEqual(execFileSync('ls', ['-A', target], { encoding: 'utf8' }), '');
});
