// Secrets, ConfigMaps and service-account tokens read from the API for env and volumes.
// A short-lived cache keeps a Job of hundreds of pods from reading `kube-root-ca.crt`
// hundreds of times.

import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { ObjectSource } from './env.ts';
import type { FileSource } from './volumes.ts';

const ttlMs = 5_000;

function status(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return status(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return status(err) === 409;
}

type Files = Record<string, Buffer>;

export class KubeObjects implements ObjectSource, FileSource {
  readonly #core: CoreV1Api;
  readonly #cache = new Map<string, { at: number; value: Promise<Files | undefined> }>();

  constructor(core: CoreV1Api) {
    this.#core = core;
  }

  #cached(key: string, load: () => Promise<Files | undefined>): Promise<Files | undefined> {
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = load().catch((err) => {
      this.#cache.delete(key);
      if (isNotFound(err)) return undefined;
      throw err;
    });
    this.#cache.set(key, { at: Date.now(), value });
    if (this.#cache.size > 1000) {
      for (const [k, v] of this.#cache) if (Date.now() - v.at >= ttlMs) this.#cache.delete(k);
    }
    return value;
  }

  secretFiles(namespace: string, name: string): Promise<Files | undefined> {
    return this.#cached(`secret/${namespace}/${name}`, async () => {
      const s = await this.#core.readNamespacedSecret({ name, namespace });
      const out: Files = {};
      for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
      for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = Buffer.from(v);
      return out;
    });
  }

  configMapFiles(namespace: string, name: string): Promise<Files | undefined> {
    return this.#cached(`configmap/${namespace}/${name}`, async () => {
      const cm = await this.#core.readNamespacedConfigMap({ name, namespace });
      const out: Files = {};
      for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v);
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
      return out;
    });
  }

  async secret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    return strings(await this.secretFiles(namespace, name));
  }

  async configMap(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    return strings(await this.configMapFiles(namespace, name));
  }

  async token(pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const res = await this.#core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName || 'default',
      namespace,
      body: {
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    });
    const token = res.status?.token;
    if (!token) throw new Error('TokenRequest returned no token');
    const exp = res.status?.expirationTimestamp;
    return { token, expiresAt: exp ? new Date(exp) : new Date(Date.now() + expirationSeconds * 1000) };
  }
}

function strings(files: Files | undefined): Record<string, string> | undefined {
  if (files === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) out[k] = v.toString('utf8');
  return out;
}
