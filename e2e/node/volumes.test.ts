import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { materializeVolumes, VolumeError, type FileSource } from './volumes.ts';

const facts = { nodeName: 'n1', hostIP: '127.0.0.1', podIP: '127.0.0.1', allocatable: { cpu: '2', memory: '8Gi' } };
const src: FileSource = {
  secretFiles: async (_ns, n) => (n === 's' ? { user: Buffer.from('u'), pass: Buffer.from('p') } : undefined),
  configMapFiles: async (_ns, n) => (n === 'kube-root-ca.crt' ? { 'ca.crt': Buffer.from('CA') } : undefined),
  token: async (pod, aud, exp) => ({ token: `tok:${pod.metadata?.name}:${aud ?? ''}:${exp}`, expiresAt: new Date(Date.now() + exp * 1000) }),
};
const podWith = (volumes: V1Volume[]): V1Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'c' }], volumes } });

const cases: Record<string, { volume: V1Volume; files: Record<string, string>; mode?: [string, number] }> = {
  'kube-api-access projected volume': {
    volume: {
      name: 'kube-api-access-x',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
    files: { token: 'tok:p::3607', 'ca.crt': 'CA', namespace: 'ns' },
  },
  'secret with items and mode': {
    volume: { name: 'sec', secret: { secretName: 's', defaultMode: 0o400, items: [{ key: 'pass', path: 'nested/password' }] } },
    files: { 'nested/password': 'p' },
    mode: ['nested/password', 0o400],
  },
  'optional missing configMap': { volume: { name: 'cm', configMap: { name: 'nope', optional: true } }, files: {} },
  'downwardAPI labels': {
    volume: { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    files: { name: 'p' },
  },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`materializeVolumes: ${name}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubatch-vol-'));
    const got = await materializeVolumes(podWith([tc.volume]), dir, src, facts);
    const vdir = got.paths.get(tc.volume.name) as string;
    for (const [f, content] of Object.entries(tc.files)) assert.equal(readFileSync(path.join(vdir, f), 'utf8'), content);
    if (tc.mode) assert.equal(statSync(path.join(vdir, tc.mode[0])).mode & 0o777, tc.mode[1]);
  });
}

test('materializeVolumes: a token volume asks for a refresh before expiry', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubatch-vol-'));
  const got = await materializeVolumes(podWith([cases['kube-api-access projected volume']!.volume]), dir, src, facts);
  const left = (got.refreshAt?.getTime() ?? 0) - Date.now();
  assert.ok(left > 0.7 * 3607_000 && left < 0.9 * 3607_000, `refresh in ${left} ms`);
});

const errorCases: Record<string, { volume: V1Volume; message: RegExp }> = {
  'missing secret': { volume: { name: 'sec', secret: { secretName: 'gone' } }, message: /volume "sec" : secret "gone" not found/ },
  'missing key': { volume: { name: 'sec', secret: { secretName: 's', items: [{ key: 'k', path: 'k' }] } }, message: /non-existent config key: k/ },
  'unsupported kind': { volume: { name: 'data', persistentVolumeClaim: { claimName: 'c' } }, message: /unsupported volume type persistentVolumeClaim/ },
};
for (const [name, tc] of Object.entries(errorCases)) {
  test(`materializeVolumes error: ${name}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubatch-vol-'));
    await assert.rejects(materializeVolumes(podWith([tc.volume]), dir, src, facts), (e: unknown) => e instanceof VolumeError && tc.message.test(e.message));
  });
}
