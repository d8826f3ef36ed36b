import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hidesPath, preludeScript, shellQuote, wrappedArgv } from './mounts.ts';

const quoteCases: Record<string, { in: string; want: string }> = {
  'plain': { in: '/a/b', want: "'/a/b'" },
  'spaces': { in: '/a b', want: "'/a b'" },
  'single quote': { in: "it's", want: "'it'\\''s'" },
};
for (const [name, tc] of Object.entries(quoteCases)) {
  test(`shellQuote: ${name}`, () => assert.equal(shellQuote(tc.in), tc.want));
}

test('preludeScript stages every source, then mounts parents first and remounts read-only', () => {
  const s = preludeScript([
    { source: '/v/b', target: '/data/sub', readOnly: false, file: false },
    { source: '/v/a', target: '/data', readOnly: true, file: false },
    { source: '/v/f', target: '/etc/app.conf', readOnly: false, file: true },
  ], '/work');
  const lines = s.split('\n');
  const staged = (i: number) => `/run/kubatch-mounts/${i}`;
  // All sources are bound into the staging tmpfs before any target is mounted.
  const lastStage = lines.indexOf(`mount --bind '/v/f' ${staged(2)}`);
  assert.ok(lastStage > 0 && lastStage < lines.indexOf(`mount --bind ${staged(1)} '/data'`));
  assert.ok(lines.indexOf(`mount --bind ${staged(1)} '/data'`) < lines.indexOf(`mount --bind ${staged(0)} '/data/sub'`));
  assert.ok(lines.includes("mount -o remount,bind,ro '/data'"));
  assert.ok(lines.includes("[ -e '/etc/app.conf' ] || : > '/etc/app.conf'"));
  assert.equal(lines.at(-1), 'exec "$@"');
});

// Regression: a volume mounted over a folder that holds another volume's source (the chart's
// emptyDir at /tmp while the node's state lived under /tmp) used to fail with mount's exit 32.
test('a mount over the folder holding another source still mounts both', { skip: process.getuid?.() !== 0 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubatch-mounts-'));
  execFileSync('mkdir', ['-p', path.join(dir, 'cover'), path.join(dir, 'conf')]);
  writeFileSync(path.join(dir, 'conf', 'config.yaml'), 'a: 1');
  const argv = wrappedArgv([
    { source: path.join(dir, 'cover'), target: dir, readOnly: false, file: false },
    { source: path.join(dir, 'conf'), target: '/etc/kubatch-mount-test', readOnly: true, file: false },
  ], '/', ['sh', '-c', 'cat /etc/kubatch-mount-test/config.yaml']);
  assert.equal(execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' }), 'a: 1');
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

test('hidesPath: mounts over the checkout or its parents are refused', async (t) => {
  const cases: Record<string, { target: string; hidden: boolean }> = {
    'a parent (/tmp over /tmp/clone)': { target: '/tmp', hidden: true },
    'the checkout itself': { target: '/tmp/clone', hidden: true },
    'trailing slash': { target: '/tmp/', hidden: true },
    'the root': { target: '/', hidden: true },
    'a sibling': { target: '/tmp/other', hidden: false },
    'a prefix that is not a parent': { target: '/tmp/clo', hidden: false },
    'inside the checkout': { target: '/tmp/clone/data', hidden: false },
    'elsewhere': { target: '/var/run/secrets/kubernetes.io/serviceaccount', hidden: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(hidesPath(tc.target, '/tmp/clone'), tc.hidden));
  }
});
