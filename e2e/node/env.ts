// The process environment of a container: the kubelet's rules (envFrom, then env with
// $(VAR) expansion, downward API, secret and configMap keys), plus what a host process
// needs in place of an image (PATH, HOME) and the in-cluster service variables.

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { podFieldValue, resourceFieldValue, type NodeFacts } from './downward.ts';
import { expand } from './expansion.ts';

/** Reads the data of Secrets and ConfigMaps; undefined when the object does not exist. */
export interface ObjectSource {
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** A spec the node cannot run as written (reported as CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function keyOf(
  src: ObjectSource, kind: 'Secret' | 'ConfigMap', ns: string, name: string, key: string, optional: boolean,
): Promise<string | undefined> {
  const data = kind === 'Secret' ? await src.secret(ns, name) : await src.configMap(ns, name);
  if (data === undefined) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
  }
  const v = data[key];
  if (v === undefined && !optional) throw new ContainerConfigError(`couldn't find key ${key} in ${kind} ${ns}/${name}`);
  return v;
}

/** The variables from the container's `envFrom` and `env`, in the kubelet's precedence. */
export async function containerEnv(
  pod: V1Pod, container: V1Container, facts: NodeFacts, serviceEnv: Record<string, string>, src: ObjectSource,
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (from.configMapRef) {
      data = await src.configMap(ns, from.configMapRef.name ?? '');
      if (data === undefined && !from.configMapRef.optional) {
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
    } else if (from.secretRef) {
      data = await src.secret(ns, from.secretRef.name ?? '');
      if (data === undefined && !from.secretRef.optional) {
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
    }
    for (const [k, v] of Object.entries(data ?? {})) {
      if (!(prefix + k).includes('=')) env[prefix + k] = v;
    }
  }
  const lookup = (name: string) => env[name] ?? serviceEnv[name];
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.value !== undefined && e.value !== '') {
      value = expand(e.value, lookup);
    } else if (e.valueFrom?.fieldRef) {
      value = wrap(() => podFieldValue(pod, e.valueFrom?.fieldRef?.fieldPath ?? '', facts), e.name);
    } else if (e.valueFrom?.resourceFieldRef) {
      const r = e.valueFrom.resourceFieldRef;
      value = wrap(() => resourceFieldValue(pod, r.containerName ?? container.name, r.resource, r.divisor as string | undefined, facts), e.name);
    } else if (e.valueFrom?.secretKeyRef) {
      const r = e.valueFrom.secretKeyRef;
      value = await keyOf(src, 'Secret', ns, r.name ?? '', r.key, r.optional ?? false);
      if (value === undefined) continue;
    } else if (e.valueFrom?.configMapKeyRef) {
      const r = e.valueFrom.configMapKeyRef;
      value = await keyOf(src, 'ConfigMap', ns, r.name ?? '', r.key, r.optional ?? false);
      if (value === undefined) continue;
    } else {
      value = '';
    }
    env[e.name] = value;
  }
  for (const [k, v] of Object.entries(serviceEnv)) {
    if (!(k in env)) env[k] = v;
  }
  return env;
}

function wrap(f: () => string, envName: string): string {
  try {
    return f();
  } catch (err) {
    throw new ContainerConfigError(`env ${envName}: ${(err as Error).message}`);
  }
}

/** Variables in-cluster clients use to find the apiserver (no kube-proxy: loopback). */
export function serviceEnvFor(apiserverPort: number): Record<string, string> {
  const port = String(apiserverPort);
  return {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://127.0.0.1:${port}`,
  };
}

/**
 * The complete process environment: host-process defaults first (PATH, HOME, HOSTNAME,
 * the cluster id the harness uses to reap processes), overridden by the container's own.
 * Nothing else leaks from the node's environment (no KUBECONFIG, no host HOME).
 */
export function processEnv(
  podEnv: Record<string, string>, opts: { home: string; hostname: string; pathPrepend: string[]; clusterId: string | undefined },
): Record<string, string> {
  const base: Record<string, string> = {
    PATH: [...opts.pathPrepend, defaultPath].join(':'),
    HOME: opts.home,
    HOSTNAME: opts.hostname,
  };
  if (opts.clusterId !== undefined) base.KUBATCH_CLUSTER_ID = opts.clusterId;
  const out = { ...base, ...podEnv };
  // The reaping marker must survive a container that sets it itself.
  if (opts.clusterId !== undefined) out.KUBATCH_CLUSTER_ID = opts.clusterId;
  return out;
}

/** `command`/`args` after $(VAR) expansion against the container's final environment. */
export function expandArgv(argv: string[], env: Record<string, string>): string[] {
  return argv.map((a) => expand(a, (n) => env[n]));
}
