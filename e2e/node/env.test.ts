import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, containerEnv, expandArgv, processEnv, serviceEnvFor, type ObjectSource } from './env.ts';
import type { NodeFacts } from './downward.ts';

const facts: NodeFacts = { nodeName: 'n1', hostIP: '127.0.0.1', podIP: '127.0.0.1', allocatable: { cpu: '2', memory: '8Gi' } };
const pod: V1Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { app: 'web', tier: 'a' }, annotations: { note: 'hi' } },
  spec: {
    nodeName: 'n1',
    serviceAccountName: 'sa',
    containers: [{ name: 'c', resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } } }],
  },
};
const source: ObjectSource = {
  secret: async (_ns, name) => (name === 's' ? { password: 'pw', user: 'u' } : undefined),
  configMap: async (_ns, name) => (name === 'cm' ? { level: 'debug', 'bad=key': 'x' } : undefined),
};
const service = serviceEnvFor(6443);

const cases: Record<string, { container: Partial<V1Container>; want: Record<string, string> }> = {
  'literal and expansion of earlier vars': {
    container: { env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-$(KUBERNETES_SERVICE_PORT)-$(LATER)' }, { name: 'LATER', value: 'l' }] },
    want: { A: 'x', B: 'x-6443-$(LATER)', LATER: 'l' },
  },
  'field refs': {
    container: {
      env: [
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      ],
    },
    want: {
      NAME: 'p', NS: 'ns', UID: 'u-1', APP: 'web', NOTE: 'hi', LABELS: 'app="web"\ntier="a"',
      NODE: 'n1', SA: 'sa', HOST_IP: '127.0.0.1', POD_IPS: '127.0.0.1',
    },
  },
  'resource field refs': {
    container: {
      env: [
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    },
    want: { MEM_MI: '128', CPU_REQ_M: '250', CPU_REQ: '1', CPU_LIM: '2' },
  },
  'secret and configmap keys, optional missing skipped': {
    container: {
      env: [
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
        { name: 'LVL', valueFrom: { configMapKeyRef: { name: 'cm', key: 'level' } } },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 's', key: 'nope', optional: true } } },
      ],
    },
    want: { PW: 'pw', LVL: 'debug' },
  },
  'envFrom with prefix, env overrides, invalid keys skipped': {
    container: {
      envFrom: [{ secretRef: { name: 's' }, prefix: 'S_' }, { configMapRef: { name: 'cm' } }, { configMapRef: { name: 'gone', optional: true } }],
      env: [{ name: 'S_user', value: 'override' }],
    },
    want: { S_password: 'pw', S_user: 'override', level: 'debug' },
  },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`containerEnv: ${name}`, async () => {
    const got = await containerEnv(pod, { name: 'c', ...tc.container }, facts, service, source);
    assert.deepEqual(got, { ...service, ...tc.want });
  });
}

const errorCases: Record<string, { container: Partial<V1Container>; message: RegExp }> = {
  'missing secret key': {
    container: { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } }] },
    message: /couldn't find key token in Secret ns\/s/,
  },
  'missing secret': { container: { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, message: /secret "nope" not found/ },
  'missing configmap in envFrom': { container: { envFrom: [{ configMapRef: { name: 'nope' } }] }, message: /configmap "nope" not found/ },
  'bad field path': { container: { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }, message: /env X: unsupported fieldPath/ },
};
for (const [name, tc] of Object.entries(errorCases)) {
  test(`containerEnv error: ${name}`, async () => {
    await assert.rejects(containerEnv(pod, { name: 'c', ...tc.container }, facts, service, source),
      (err: unknown) => err instanceof ContainerConfigError && tc.message.test(err.message));
  });
}

test('processEnv: defaults, pod overrides, cluster id kept', () => {
  const env = processEnv({ FOO: '1', HOME: '/custom', KUBATCH_CLUSTER_ID: 'evil' }, { home: '/state/home', hostname: 'p', pathPrepend: ['/k/bin'], clusterId: 'c1' });
  assert.equal(env.FOO, '1');
  assert.equal(env.HOME, '/custom');
  assert.equal(env.HOSTNAME, 'p');
  assert.equal(env.KUBATCH_CLUSTER_ID, 'c1');
  assert.match(env.PATH ?? '', /^\/k\/bin:\/usr\/local\/sbin/);
  assert.equal(env.KUBECONFIG, undefined);
});

test('expandArgv uses the final environment', () => {
  assert.deepEqual(expandArgv(['echo', '$(MSG)', '$$(MSG)', '$(NONE)'], { MSG: 'hi' }), ['echo', 'hi', '$(MSG)', '$(NONE)']);
});
