// Keeps the Node registered and alive: create-or-update the Node, renew its Lease in
// kube-node-lease every 10 s, and refresh the status heartbeats about every 60 s.

import { PatchStrategy, setHeaderOptions, type CoordinationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './kube-objects.ts';
import { goArch, nodeLabels, nodeStatus, type NodeSpecOptions } from './node-object.ts';

const leaseNamespace = 'kube-node-lease';
const leaseDurationSeconds = 40;
const leaseRenewMs = 10_000;
const statusRefreshMs = 60_000;

/** metav1.MicroTime wants exactly six fractional digits. */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeHeartbeat {
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;
  readonly #opts: NodeSpecOptions;
  readonly #log: (msg: string) => void;
  readonly #since = new Date();
  #uid = '';
  #timers: NodeJS.Timeout[] = [];

  constructor(core: CoreV1Api, coordination: CoordinationV1Api, opts: NodeSpecOptions, log: (msg: string) => void) {
    this.#core = core;
    this.#coordination = coordination;
    this.#opts = opts;
    this.#log = log;
  }

  async register(): Promise<void> {
    const labels = nodeLabels(this.#opts.name, this.#opts.arch ?? goArch());
    try {
      const created = await this.#core.createNode({ body: { metadata: { name: this.#opts.name, labels } } });
      this.#uid = created.metadata?.uid ?? '';
      this.#log(`registered node ${this.#opts.name}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const patched = await this.#core.patchNode({ name: this.#opts.name, body: { metadata: { labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      this.#uid = patched.metadata?.uid ?? '';
      this.#log(`node ${this.#opts.name} already registered, updated it`);
    }
    await this.#patchStatus();
    await this.#renewLease();
  }

  start(): void {
    const every = (ms: number, what: string, f: () => Promise<void>) => {
      const t = setInterval(() => { f().catch((err) => this.#log(`${what} failed: ${(err as Error).message.split('\n')[0]}`)); }, ms);
      this.#timers.push(t);
    };
    every(leaseRenewMs, 'lease renewal', () => this.#renewLease());
    every(statusRefreshMs, 'node status refresh', () => this.#patchStatus());
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  async #patchStatus(): Promise<void> {
    await this.#core.patchNodeStatus({ name: this.#opts.name, body: { status: nodeStatus(this.#opts, new Date(), this.#since) } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
  }

  async #renewLease(): Promise<void> {
    const name = this.#opts.name;
    const spec = { holderIdentity: name, leaseDurationSeconds, renewTime: microTime() };
    try {
      await this.#coordination.patchNamespacedLease({ name, namespace: leaseNamespace, body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const body = {
        metadata: {
          name, namespace: leaseNamespace,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.#uid }],
        },
        spec,
      };
      // renewTime is a preformatted MicroTime string; the typed model says Date.
      await this.#coordination.createNamespacedLease({ namespace: leaseNamespace, body: body as never });
    }
  }
}
