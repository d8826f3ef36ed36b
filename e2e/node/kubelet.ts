// The node's pod loop: every informer event or container state change enqueues the pod's
// key; syncing a key starts, updates or stops the pod's runtime, writes its status when it
// changed, and finally deletes a terminated pod from the API.

import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1DeleteOptions } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './kube-objects.ts';
import { apiTime } from './pod-status.ts';
import { PodRuntime, type RuntimeDeps } from './pod-runtime.ts';
import type { PodInformer } from './pod-informer.ts';
import { WorkQueue } from './work-queue.ts';

const resyncMs = 30_000;

export class Kubelet {
  readonly runtimes = new Map<string, PodRuntime>();
  readonly #core: CoreV1Api;
  readonly #deps: RuntimeDeps;
  readonly #log: (msg: string) => void;
  readonly queue: WorkQueue;
  #informer: PodInformer | undefined;
  #resync: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(core: CoreV1Api, deps: RuntimeDeps) {
    this.#core = core;
    this.#deps = deps;
    this.#log = deps.log;
    this.queue = new WorkQueue((key) => this.#sync(key), {
      concurrency: 16,
      onError: (key, err) => this.#log(`sync ${key} failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`),
    });
  }

  attach(informer: PodInformer): void {
    this.#informer = informer;
    // A periodic pass catches anything a broken watch or a failed write left behind.
    this.#resync = setInterval(() => {
      for (const key of this.runtimes.keys()) this.queue.add(key);
      for (const pod of informer.list()) this.queue.add(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    }, resyncMs);
  }

  /** Runtime for a pod's logs: the current one for namespace/name. */
  runtimeFor(namespace: string, name: string): PodRuntime | undefined {
    return this.runtimes.get(`${namespace}/${name}`);
  }

  async #sync(key: string): Promise<void> {
    if (this.#stopping) return;
    const [namespace = '', name = ''] = key.split('/', 2);
    const pod = this.#informer?.get(namespace, name);
    let rt = this.runtimes.get(key);
    if (rt && (!pod || pod.metadata?.uid !== rt.uid)) {
      // Gone from the API (or replaced by a new pod of the same name): stop what is left.
      if (!rt.deleted) this.#log(`pod ${key} (${rt.uid}) is gone from the API, killing its containers`);
      await rt.kill();
      await rt.cleanup();
      this.runtimes.delete(key);
      rt = undefined;
    }
    if (!pod) return;
    if (!rt) {
      rt = new PodRuntime(pod, this.#deps, () => this.queue.add(key));
      this.runtimes.set(key, rt);
      this.#log(`pod ${key} (${rt.uid}) bound to this node`);
      rt.start();
    } else {
      rt.update(pod);
    }
    if (pod.metadata?.deletionTimestamp && !rt.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      this.#log(`pod ${key} is being deleted, stopping it (grace ${grace}s)`);
      void rt.terminate(grace);
    }
    await this.#writeStatus(rt);
    if (pod.metadata?.deletionTimestamp && rt.finished && !rt.deleted) await this.#delete(rt);
  }

  async #writeStatus(rt: PodRuntime): Promise<void> {
    if (rt.deleted) return;
    const status = rt.buildStatus(apiTime());
    const json = JSON.stringify(status);
    if (json === rt.lastWritten) return;
    try {
      await this.#core.patchNamespacedPodStatus(
        { name: rt.name, namespace: rt.namespace, body: { metadata: { uid: rt.uid }, status } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    } catch (err) {
      // 404: the pod is gone and the next sync cleans up; 409: a different pod (UID) now has the name.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
    rt.lastWritten = json;
    rt.conditions = status.conditions;
    const phase = status.phase;
    if (rt.rec.previousPhase !== phase) this.#log(`pod ${rt.namespace}/${rt.name} phase ${phase}`);
    rt.rec.previousPhase = phase;
  }

  async #delete(rt: PodRuntime): Promise<void> {
    const body: V1DeleteOptions = { gracePeriodSeconds: 0, preconditions: { uid: rt.uid } };
    try {
      await this.#core.deleteNamespacedPod({ name: rt.name, namespace: rt.namespace, body });
      this.#log(`pod ${rt.namespace}/${rt.name} deleted`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    rt.deleted = true;
    await rt.cleanup();
  }

  /** Node shutdown: kill every container, leave the pods in the API. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#resync);
    this.queue.stop();
    await Promise.all([...this.runtimes.values()].map((rt) => rt.kill()));
  }
}

