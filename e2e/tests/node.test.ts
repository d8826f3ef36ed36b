// Integration tests of the local process node against a real cluster (KUBECONFIG): the
// controller-manager and scheduler drive real Deployments and Jobs onto the node.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../../local-cluster/probe.ts';
import { testNamespace } from './support/namespace.ts';
import {
  AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions,
  type V1Container, type V1Pod,
} from '@kubernetes/client-node';

const kubeconfig = process.env.KUBECONFIG;
const skip = kubeconfig ? false : 'KUBECONFIG is not set: start a cluster (make cluster-up) and export KUBECONFIG=.kubatch/kubeconfig';

let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;
let rbac: RbacAuthorizationV1Api;

/** A fresh namespace (see support/namespace.ts), deleted when the suite ends. */
async function namespace(prefix: string, cleanup: string[]): Promise<string> {
  const { name } = await testNamespace(kc, prefix);
  cleanup.push(name);
  return name;
}

function busybox(name: string, script: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: 'busybox', command: ['sh', '-c', script], ...extra };
}

async function podLog(namespace: string, name: string, container?: string): Promise<string> {
  return core.readNamespacedPodLog({ name, namespace, ...(container ? { container } : {}) });
}

async function terminalPod(namespace: string, name: string): Promise<V1Pod> {
  return eventually(`pod ${namespace}/${name} to finish`, 60_000, async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  });
}

describe('local process node', { skip }, () => {
  const namespaces: string[] = [];

  before(() => {
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig as string);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  });

  after(async () => {
    await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
    await Promise.all(namespaces.map((name) => eventually(`namespace ${name} to be deleted`, 120_000, async () => {
      try {
        await core.readNamespace({ name });
        return undefined;
      } catch {
        return true;
      }
    })));
  });

  test('a Deployment becomes Available; scaled down, its extra pods get SIGTERM and go within their grace period', async () => {
    const ns = await namespace('node-deploy', namespaces);
    const markers = mkdtempSync(path.join(os.tmpdir(), 'kubatch-node-test-'));
    const grace = 30;
    const labels = { app: 'sleeper' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'sleeper' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: grace,
              volumes: [{ name: 'markers', hostPath: { path: markers, type: 'Directory' } }],
              containers: [busybox('main', 'trap "echo SIGTERM > /markers/$HOSTNAME; exit 0" TERM; echo started; sleep 3600 & wait', {
                volumeMounts: [{ name: 'markers', mountPath: '/markers' }],
              })],
            },
          },
        },
      },
    });
    await eventually('3/3 available replicas', 90_000, async () => {
      const d = await apps.readNamespacedDeployment({ name: 'sleeper', namespace: ns });
      return d.status?.availableReplicas === 3 ? d : undefined;
    });
    const before = (await core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata?.name as string);
    assert.equal(before.length, 3);

    const scaledAt = Date.now();
    await apps.patchNamespacedDeploymentScale({ name: 'sleeper', namespace: ns, body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const remaining = await eventually('the 2 extra pods to be gone', grace * 1000, async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      return pods.length === 1 ? pods : undefined;
    });
    assert.ok(Date.now() - scaledAt <= grace * 1000, 'pods were gone within their grace period');
    const removed = before.filter((n) => n !== remaining[0]?.metadata?.name);
    assert.deepEqual(readdirSync(markers).sort(), removed.sort(), 'each removed pod trapped SIGTERM');
    assert.equal(remaining[0]?.status?.phase, 'Running');
  });

  test('batch/v1 Jobs: exit 3 fails with the exit code in the pod status, exit 0 completes', async () => {
    const ns = await namespace('node-job', namespaces);
    const job = (name: string, code: number) => batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [busybox('main', `echo bye; exit ${code}`)] } } },
      },
    });
    await job('fails', 3);
    await job('succeeds', 0);
    const conditionOf = (name: string, type: string) => eventually(`job ${name} condition ${type}`, 90_000, async () => {
      const j = await batch.readNamespacedJob({ name, namespace: ns });
      return j.status?.conditions?.find((c) => c.type === type && c.status === 'True');
    });
    await conditionOf('fails', 'Failed');
    await conditionOf('succeeds', 'Complete');
    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=fails' })).items;
    assert.equal(pods.length, 1);
    assert.equal(pods[0]?.status?.phase, 'Failed');
    assert.equal(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    const ok = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=succeeds' })).items;
    assert.equal(ok[0]?.status?.phase, 'Succeeded');
    assert.equal(ok[0]?.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  });

  test('a failing init container keeps the main container from starting', async () => {
    const ns = await namespace('node-init', namespaces);
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'init-fails' },
        spec: {
          restartPolicy: 'Never',
          initContainers: [busybox('ok', 'exit 0'), busybox('setup', 'echo setting up; exit 7')],
          containers: [busybox('main', 'echo should not run')],
        },
      },
    });
    const pod = await terminalPod(ns, 'init-fails');
    assert.equal(pod.status?.phase, 'Failed');
    const init = pod.status?.initContainerStatuses ?? [];
    assert.deepEqual(init.map((s) => s.state?.terminated?.exitCode), [0, 7]);
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
    assert.equal(await podLog(ns, 'init-fails', 'setup'), 'setting up\n');
  });

  test('kubectl in a pod uses its ServiceAccount: allowed with an RBAC binding, Forbidden without', async () => {
    const ns = await namespace('node-rbac', namespaces);
    for (const name of ['reader', 'nobody']) await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader-reads-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    for (const sa of ['reader', 'nobody']) {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: `kubectl-${sa}` },
          spec: {
            serviceAccountName: sa,
            restartPolicy: 'Never',
            containers: [{ name: 'kubectl', image: 'bitnami/kubectl:latest', args: ['get', 'pods', '-n', ns, '-o', 'name'] }],
          },
        },
      });
    }
    const allowed = await terminalPod(ns, 'kubectl-reader');
    const allowedLog = await podLog(ns, 'kubectl-reader');
    assert.equal(allowed.status?.phase, 'Succeeded', allowedLog);
    assert.match(allowedLog, /pod\/kubectl-reader/);
    const refused = await terminalPod(ns, 'kubectl-nobody');
    assert.equal(refused.status?.phase, 'Failed');
    assert.notEqual(refused.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.match(await podLog(ns, 'kubectl-nobody'), /Forbidden|forbidden/);
  });

  test('downward API env values and $(VAR) expansion reach the process; logs are served', async () => {
    const ns = await namespace('node-env', namespaces);
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'env', labels: { team: 'batch' } },
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo "name=$POD_NAME ns=$POD_NS team=$TEAM node=$NODE ip=$POD_IP mem=$MEM greeting=$(GREETING)"'],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'GREETING', value: 'hello $(POD_NAME)' },
            ],
            resources: { limits: { memory: '64Mi' } },
          }],
        },
      },
    });
    const pod = await terminalPod(ns, 'env');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.equal(await podLog(ns, 'env'),
      `name=env ns=${ns} team=batch node=${pod.spec?.nodeName} ip=127.0.0.1 mem=64 greeting=hello env\n`);
  });

  test('a bad spec is reported in the pod status, not crashed on', async () => {
    const ns = await namespace('node-bad', namespaces);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'creds' }, stringData: { user: 'u' } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'bad' },
        spec: {
          containers: [
            busybox('missing-key', 'sleep 1', { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] }),
            { name: 'unknown-image', image: 'example.com/no/such-image:1' },
          ],
        },
      },
    });
    const statuses = await eventually('both containers to report why they wait', 60_000, async () => {
      const p = await core.readNamespacedPod({ name: 'bad', namespace: ns });
      const s = p.status?.containerStatuses ?? [];
      const reasons = s.map((x) => x.state?.waiting?.reason);
      return reasons.includes('CreateContainerConfigError') && reasons.includes('ErrImagePull') ? s : undefined;
    });
    const byName = Object.fromEntries(statuses.map((s) => [s.name, s.state?.waiting?.message ?? '']));
    assert.match(byName['missing-key'] ?? '', /couldn't find key password in Secret/);
    assert.match(byName['unknown-image'] ?? '', /example\.com\/no\/such-image:1.*e2e\/node\/images\.ts/);
  });
});
