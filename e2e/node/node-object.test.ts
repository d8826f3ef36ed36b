import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goArch, nodeLabels, nodeStatus } from './node-object.ts';

const archCases: Record<string, { in: string; want: string }> = {
  'x64 is amd64': { in: 'x64', want: 'amd64' },
  'arm64 stays': { in: 'arm64', want: 'arm64' },
};
for (const [name, tc] of Object.entries(archCases)) {
  test(`goArch: ${name}`, () => assert.equal(goArch(tc.in), tc.want));
}

test('nodeLabels carry hostname, os, arch and instance type', () => {
  const l = nodeLabels('n1', 'amd64');
  assert.equal(l['kubernetes.io/hostname'], 'n1');
  assert.equal(l['kubernetes.io/os'], 'linux');
  assert.equal(l['kubernetes.io/arch'], 'amd64');
  assert.equal(l['node.kubernetes.io/instance-type'], 'local-process');
});

test('nodeStatus: Ready with fresh heartbeat, loopback address, capacity and endpoint', () => {
  const now = new Date('2025-01-01T00:01:00Z');
  const since = new Date('2025-01-01T00:00:00Z');
  const s = nodeStatus({ name: 'n1', cpu: '2', memory: '8Gi', pods: '110', kubeletPort: 10250, kubeletVersion: 'v1.34.4', arch: 'amd64' }, now, since) as {
    conditions: { type: string; status: string; lastHeartbeatTime: string; lastTransitionTime: string }[];
    addresses: unknown; allocatable: Record<string, string>; daemonEndpoints: unknown; nodeInfo: Record<string, string>;
  };
  const ready = s.conditions.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.lastHeartbeatTime, ready?.lastTransitionTime], ['True', '2025-01-01T00:01:00Z', '2025-01-01T00:00:00Z']);
  assert.deepEqual(s.conditions.filter((c) => c.type !== 'Ready').map((c) => c.status), ['False', 'False', 'False']);
  assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n1' }]);
  assert.equal(s.allocatable.pods, '110');
  assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(s.nodeInfo.kubeletVersion, 'v1.34.4');
  assert.equal(s.nodeInfo.containerRuntimeVersion, 'kubatch-process://0.1.0');
});
