// Downward API values (env `fieldRef`/`resourceFieldRef` and downwardAPI volume items),
// resolved the way the kubelet does.

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from './quantity.ts';

export interface NodeFacts {
  nodeName: string;
  hostIP: string;
  podIP: string;
  /** Node allocatable, the default for unset limits. */
  allocatable: Record<string, string>;
}

/** Go's %q for the ASCII values labels and annotations hold. */
function quote(v: string): string {
  return JSON.stringify(v);
}

/** `metadata.labels` rendering: `key="value"` lines sorted by key. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${quote(m?.[k] ?? '')}`)
    .join('\n');
}

const subscripted = /^metadata\.(labels|annotations)\['(.*)'\]$/;

export function podFieldValue(pod: V1Pod, fieldPath: string, facts: NodeFacts): string {
  const sub = subscripted.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[sub[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'metadata.labels': return formatMap(pod.metadata?.labels);
    case 'metadata.annotations': return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? facts.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': case 'status.hostIPs': return facts.hostIP;
    case 'status.podIP': case 'status.podIPs': return facts.podIP;
    default: throw new Error(`unsupported fieldPath "${fieldPath}"`);
  }
}

/**
 * A container's request or limit, divided by `divisor` and rounded up; unset limits
 * default to the node's allocatable, unset requests to 0 (or the limit when set).
 */
export function resourceFieldValue(
  pod: V1Pod, containerName: string | undefined, resource: string, divisor: string | undefined, facts: NodeFacts,
): string {
  const containers: V1Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const c = containerName ? containers.find((x) => x.name === containerName) : containers[0];
  if (!c) throw new Error(`resourceFieldRef: container "${containerName}" not found`);
  const [kind, name] = resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new Error(`unsupported resource "${resource}"`);
  const limits = (c.resources?.limits ?? {}) as Record<string, string>;
  const requests = (c.resources?.requests ?? {}) as Record<string, string>;
  let raw: string | undefined;
  if (kind === 'limits') raw = limits[name] ?? facts.allocatable[name];
  else raw = requests[name] ?? limits[name] ?? '0';
  if (raw === undefined) throw new Error(`unsupported resource "${resource}"`);
  const value = parseQuantity(raw);
  const div = parseQuantity(divisor ?? '1');
  if (div <= 0) throw new Error(`invalid divisor "${divisor}"`);
  // Round through millis first so float noise (0.1/0.001) does not bump the ceiling.
  return String(Math.ceil(Math.round((value / div) * 1e6) / 1e6));
}
