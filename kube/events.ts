// Kubernetes Events about kubatch objects. The same reason and message on the same object is
// recorded once per 10 minutes, so a reconcile loop cannot flood the API with events.
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { errorMessage, isNamespaceTerminating } from "./errors.ts";

export type EventType = "Normal" | "Warning";
/** An event to record on an object, as pure code decides it (the reconciler records it). */
export type ObjectEvent = { type: EventType; reason: string; message: string };
export type EventRecorder = { record(obj: KubernetesObject, type: EventType, reason: string, message: string): void };

const dedupeMs = 10 * 60_000;

/** component: who reports (the operator, or a node agent: "kubatch-agent"). */
export function makeEventRecorder(kc: KubeConfig, log: (line: string) => void = console.error, component = "kubatch-operator"): EventRecorder {
  const core = kc.makeApiClient(CoreV1Api);
  const recent = new Map<string, number>();
  return {
    record(obj, type, reason, message) {
      const meta = obj.metadata ?? {};
      const key = `${meta.uid}/${reason}/${message}`;
      const now = Date.now();
      if ((recent.get(key) ?? 0) > now - dedupeMs) return;
      recent.set(key, now);
      if (recent.size > 10_000) for (const [k, at] of recent) if (at < now - dedupeMs) recent.delete(k);
      const namespace = meta.namespace ?? "default";
      const time = new Date(now);
      core
        .createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${meta.name}.`, namespace },
            involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name, namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component },
            reportingComponent: component,
            reportingInstance: process.env.HOSTNAME ?? component,
            firstTimestamp: time,
            lastTimestamp: time,
            count: 1,
          },
        })
        .catch((err: unknown) => {
          if (!isNamespaceTerminating(err)) log(`event ${reason} on ${namespace}/${meta.name} not recorded: ${errorMessage(err)}`);
        });
    },
  };
}
