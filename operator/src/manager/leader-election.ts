// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does: acquire
// when the lease is free or expired, renew every retry period, and give up leadership (the
// process exits, so a fresh start rebuilds every cache) when renewing fails for renewDeadline.
// Writes use the Lease's resourceVersion, so two replicas can never both take it.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { errorMessage } from "../../../kube/errors.ts";

export type LeaderElectionOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: (line: string) => void;
};

export type Leadership = { stop(): Promise<void> };

export async function leadWhenElected(opts: LeaderElectionOptions, onStarted: () => Promise<void>, onLost: () => void): Promise<Leadership> {
  const api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
  // Shorter than client-go's 15 s so a dead leader is replaced within about 12 s.
  const leaseMs = opts.leaseDurationMs ?? 10_000;
  const renewDeadline = opts.renewDeadlineMs ?? 7_000;
  const retry = opts.retryPeriodMs ?? 2_000;
  let stopped = false;
  let leading = false;
  let lastRenew = 0;

  const now = () => new V1MicroTime();
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    let lease: V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name: opts.name, namespace: opts.namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await api.createNamespacedLease({
        namespace: opts.namespace,
        body: { metadata: { name: opts.name, namespace: opts.namespace }, spec: { holderIdentity: opts.identity, leaseDurationSeconds: Math.ceil(leaseMs / 1000), acquireTime: now(), renewTime: now(), leaseTransitions: 0 } },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const held = spec.holderIdentity === opts.identity;
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = Date.now() > renewed + (spec.leaseDurationSeconds ?? 15) * 1000;
    if (!held && !expired && spec.holderIdentity) return false;
    await api.replaceNamespacedLease({
      name: opts.name,
      namespace: opts.namespace,
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: opts.identity,
          leaseDurationSeconds: Math.ceil(leaseMs / 1000),
          renewTime: now(),
          ...(held ? {} : { acquireTime: now(), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
        },
      },
    });
    return true;
  };

  const loop = async () => {
    while (!stopped) {
      try {
        if (await tryAcquireOrRenew()) {
          lastRenew = Date.now();
          if (!leading) {
            leading = true;
            opts.log(`leader election: ${opts.identity} leads (lease ${opts.namespace}/${opts.name})`);
            await onStarted();
          }
        } else if (leading) {
          leading = false;
          opts.log("leader election: another replica holds the lease; stepping down");
          onLost();
        }
      } catch (err) {
        opts.log(`leader election: ${errorMessage(err)}`);
        if (leading && Date.now() - lastRenew > renewDeadline) {
          leading = false;
          opts.log("leader election: could not renew the lease in time; stepping down");
          onLost();
        }
      }
      await new Promise((r) => setTimeout(r, retry));
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      await running;
      // Hand the lease over at once instead of letting it expire.
      if (leading) {
        const lease = await api.readNamespacedLease({ name: opts.name, namespace: opts.namespace }).catch(() => undefined);
        if (lease?.spec?.holderIdentity === opts.identity) {
          await api.replaceNamespacedLease({ name: opts.name, namespace: opts.namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: "", renewTime: undefined } } }).catch(() => undefined);
        }
      }
    },
  };
}
