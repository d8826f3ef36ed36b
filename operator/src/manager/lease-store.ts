// The leader lease as a coordination.k8s.io/v1 Lease. Writes replace the whole Lease with the
// resourceVersion read, so a concurrent writer gets 409 Conflict instead of both winning.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1LeaseSpec } from "@kubernetes/client-node";
import { withSignal } from "../../../kube/kube-config.ts";
import type { LeaseRecord, LeaseStore } from "./leader-election.ts";

// client-node types MicroTimes as Dates but hands them over as the server's strings.
const timeOf = (t: unknown): string | undefined => (t === undefined || t === null ? undefined : t instanceof Date ? t.toISOString() : String(t));

const recordOf = (spec: V1LeaseSpec | undefined): LeaseRecord => ({
  holderIdentity: spec?.holderIdentity,
  leaseDurationSeconds: spec?.leaseDurationSeconds,
  acquireTime: timeOf(spec?.acquireTime),
  renewTime: timeOf(spec?.renewTime),
  leaseTransitions: spec?.leaseTransitions,
});

const specOf = (record: LeaseRecord): V1LeaseSpec => ({
  holderIdentity: record.holderIdentity,
  leaseDurationSeconds: record.leaseDurationSeconds,
  acquireTime: record.acquireTime === undefined ? undefined : new V1MicroTime(record.acquireTime),
  renewTime: record.renewTime === undefined ? undefined : new V1MicroTime(record.renewTime),
  leaseTransitions: record.leaseTransitions,
});

export function kubernetesLeaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get(signal) {
      try {
        const lease = await api.readNamespacedLease({ name, namespace }, withSignal(signal));
        return { record: recordOf(lease.spec), version: lease.metadata?.resourceVersion ?? "" };
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
    async create(record, signal) {
      await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: specOf(record) } }, withSignal(signal));
    },
    async update(record, version, signal) {
      await api.replaceNamespacedLease({ name, namespace, body: { metadata: { name, namespace, resourceVersion: version }, spec: specOf(record) } }, withSignal(signal));
    },
  };
}
