// Pods bound to this node, through a client-node ListWatch. client-node stops an
// informer for good on any error other than 410, so this restarts it with jittered
// backoff; handlers only pass pod keys on.

import { ListWatch, Watch, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { jitteredBackoffMs } from './backoff.ts';

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class PodInformer {
  readonly #lw: ListWatch<V1Pod>;
  readonly #log: (msg: string) => void;
  #attempt = 0;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #synced: Promise<void>;

  constructor(kc: KubeConfig, core: CoreV1Api, nodeName: string, onKey: (key: string) => void, log: (msg: string) => void) {
    const fieldSelector = `spec.nodeName=${nodeName}`;
    this.#log = log;
    let markSynced: () => void = () => {};
    this.#synced = new Promise((resolve) => { markSynced = resolve; });
    const list = async () => {
      const l = await core.listPodForAllNamespaces({ fieldSelector });
      markSynced();
      return l;
    };
    this.#lw = new ListWatch<V1Pod>('/api/v1/pods', new Watch(kc), list, false, undefined, fieldSelector);
    const handler = (pod: V1Pod) => {
      this.#attempt = 0;
      onKey(podKey(pod));
    };
    this.#lw.on('add', handler);
    this.#lw.on('update', handler);
    this.#lw.on('delete', handler);
    this.#lw.on('error', (err) => this.#restart(err));
  }

  /** Starts watching; resolves after the first successful list. */
  async start(): Promise<void> {
    void this.#lw.start().catch((err) => this.#restart(err));
    await this.#synced;
  }

  #restart(err: unknown): void {
    if (this.#stopped) return;
    const delay = jitteredBackoffMs(this.#attempt++, 500, 30_000);
    this.#log(`pod watch failed (${String((err as Error)?.message ?? err).split('\n')[0]}), restarting in ${delay} ms`);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopped) void this.#lw.start().catch((e) => this.#restart(e));
    }, delay);
  }

  get(namespace: string, name: string): V1Pod | undefined {
    return this.#lw.get(name, namespace);
  }

  list(): readonly V1Pod[] {
    return this.#lw.list();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#lw.stop();
  }
}
