// Wires informers, work queues and reconcilers together. Informer handlers only enqueue keys.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type V1Deployment, type V1Pod } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/group.ts";
import { poolNames } from "../api/pool.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import { WorkQueue } from "../controller/work-queue.ts";
import { makeWriter } from "../kube/apply.ts";
import { makeEventRecorder } from "../kube/events.ts";
import { Informer } from "../kube/informer.ts";
import { poolLabel } from "../pool/labels.ts";
import { makePoolReconciler, type PoolObject } from "../pool/reconciler.ts";

export type ControllerManager = { start(): Promise<void>; stop(): Promise<void>; ready(): boolean };

const resyncMs = 10 * 60_000;

export function makeControllerManager(kc: KubeConfig, config: OperatorConfig, log: (line: string) => void): ControllerManager {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const poolQueue = new WorkQueue({ onError: (key, err, retry) => log(`pool ${key}: ${err instanceof Error ? err.message : String(err)} (retry in ${retry} ms)`) });
  const keyOf = (ns: string | undefined, name: string | undefined) => `${ns}/${name}`;

  const pools = new Informer<PoolObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${poolNames.plural}`,
    list: async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: poolNames.plural })) as KubernetesListObject<PoolObject>,
    onEvent: (_kind, obj) => poolQueue.add(keyOf(obj.metadata?.namespace, obj.metadata?.name)),
    log,
  });
  const enqueueOwner = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
    const pool = obj.metadata?.labels?.[poolLabel];
    if (pool) poolQueue.add(keyOf(obj.metadata?.namespace, pool));
  };
  const deployments = new Informer<V1Deployment>({
    kubeConfig: kc,
    path: "/apis/apps/v1/deployments",
    labelSelector: poolLabel,
    list: () => apps.listDeploymentForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (_kind, obj) => enqueueOwner(obj),
    log,
  });
  const pods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: "/api/v1/pods",
    labelSelector: poolLabel,
    list: () => core.listPodForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (_kind, obj) => enqueueOwner(obj),
    log,
  });
  const reconcilePool = makePoolReconciler({ pools, deployments, pods, writer: makeWriter(kc), apps, events: makeEventRecorder(kc, log), config });
  const informers = [pools, deployments, pods];
  let resync: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  return {
    async start() {
      await Promise.all(informers.map((i) => i.start()));
      log(`caches synced: ${pools.list().length} pools, ${pods.list().length} node pods`);
      running = poolQueue.run(reconcilePool, 2);
      resync = setInterval(() => pools.list().forEach((p) => poolQueue.add(keyOf(p.metadata?.namespace, p.metadata?.name))), resyncMs);
      resync.unref();
    },
    async stop() {
      clearInterval(resync);
      poolQueue.shutdown();
      await running;
      await Promise.all(informers.map((i) => i.stop()));
    },
    ready: () => informers.every((i) => i.synced),
  };
}
