// Pod volumes as host directories: emptyDir, hostPath, and the file-backed kinds (secret,
// configMap, downwardAPI, projected incl. service-account tokens), written atomically
// (temp file + rename) so a refresh never exposes a half-written token.

import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1Pod, V1Volume, V1KeyToPath, V1DownwardAPIVolumeFile } from '@kubernetes/client-node';
import { podFieldValue, resourceFieldValue, type NodeFacts } from './downward.ts';

/** File contents of Secrets and ConfigMaps, and service-account tokens. */
export interface FileSource {
  secretFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  configMapFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** A token bound to the pod (TokenRequest). */
  token(pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expiresAt: Date }>;
}

export class VolumeError extends Error {}

export interface MaterializedVolumes {
  /** Volume name → host directory (or file for a hostPath file). */
  paths: Map<string, string>;
  /** When the earliest token should be refreshed (80 % of its life), if any. */
  refreshAt?: Date;
}

type Files = Map<string, { data: Buffer; mode: number }>;

const defaultFileMode = 0o644;

function pickItems(
  kind: string, name: string, data: Record<string, Buffer> | undefined, items: V1KeyToPath[] | undefined,
  optional: boolean | undefined, mode: number, prefix: string, out: Files,
): void {
  if (data === undefined) {
    if (optional) return;
    throw new VolumeError(`${kind} "${name}" not found`);
  }
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(path.join(prefix, k), { data: v, mode });
    return;
  }
  for (const item of items) {
    const v = data[item.key];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(`configmap references non-existent config key: ${item.key}`.replace('configmap', kind));
    }
    out.set(path.join(prefix, item.path), { data: v, mode: item.mode ?? mode });
  }
}

function downwardItems(pod: V1Pod, items: V1DownwardAPIVolumeFile[] | undefined, mode: number, facts: NodeFacts, out: Files): void {
  for (const item of items ?? []) {
    let value: string;
    if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath, facts);
    else if (item.resourceFieldRef) {
      const r = item.resourceFieldRef;
      value = resourceFieldValue(pod, r.containerName, r.resource, r.divisor as string | undefined, facts);
    } else continue;
    out.set(item.path, { data: Buffer.from(value), mode: item.mode ?? mode });
  }
}

async function writeFiles(dir: string, files: Files): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [rel, f] of files) {
    const target = path.join(dir, rel);
    if (!target.startsWith(dir + path.sep)) throw new VolumeError(`volume file path "${rel}" escapes the volume`);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp`);
    await writeFile(tmp, f.data, { mode: f.mode });
    await chmod(tmp, f.mode);
    await rename(tmp, target);
  }
}

async function volumeFiles(pod: V1Pod, v: V1Volume, src: FileSource, facts: NodeFacts, tokens: Date[]): Promise<Files | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const files: Files = new Map();
  if (v.secret) {
    const name = v.secret.secretName ?? '';
    pickItems('secret', name, await src.secretFiles(ns, name), v.secret.items, v.secret.optional, v.secret.defaultMode ?? defaultFileMode, '', files);
  } else if (v.configMap) {
    const name = v.configMap.name ?? '';
    pickItems('configmap', name, await src.configMapFiles(ns, name), v.configMap.items, v.configMap.optional, v.configMap.defaultMode ?? defaultFileMode, '', files);
  } else if (v.downwardAPI) {
    downwardItems(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? defaultFileMode, facts, files);
  } else if (v.projected) {
    const mode = v.projected.defaultMode ?? defaultFileMode;
    for (const s of v.projected.sources ?? []) {
      if (s.secret) {
        const name = s.secret.name ?? '';
        pickItems('secret', name, await src.secretFiles(ns, name), s.secret.items, s.secret.optional, mode, '', files);
      } else if (s.configMap) {
        const name = s.configMap.name ?? '';
        pickItems('configmap', name, await src.configMapFiles(ns, name), s.configMap.items, s.configMap.optional, mode, '', files);
      } else if (s.downwardAPI) {
        downwardItems(pod, s.downwardAPI.items, mode, facts, files);
      } else if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        const { token, expiresAt } = await src.token(pod, t.audience, t.expirationSeconds ?? 3600);
        const issued = Date.now();
        tokens.push(new Date(issued + 0.8 * (expiresAt.getTime() - issued)));
        files.set(t.path, { data: Buffer.from(token), mode });
      } else {
        throw new VolumeError(`volume "${v.name}": unsupported projected source ${Object.keys(s).join(',')}`);
      }
    }
  } else {
    return undefined;
  }
  return files;
}

/**
 * Creates or refreshes every volume of the pod under `volumesDir/<name>`. Throws
 * VolumeError for a volume that cannot be set up (missing object, unsupported kind).
 */
export async function materializeVolumes(pod: V1Pod, volumesDir: string, src: FileSource, facts: NodeFacts): Promise<MaterializedVolumes> {
  const paths = new Map<string, string>();
  const tokens: Date[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const dir = path.join(volumesDir, v.name);
    try {
      if (v.emptyDir) {
        await mkdir(dir, { recursive: true, mode: 0o777 });
        await chmod(dir, 0o777);
        paths.set(v.name, dir);
      } else if (v.hostPath) {
        const p = v.hostPath.path;
        const type = v.hostPath.type ?? '';
        if (type === 'DirectoryOrCreate') await mkdir(p, { recursive: true });
        else if (type === 'FileOrCreate') {
          await mkdir(path.dirname(p), { recursive: true });
          await writeFile(p, '', { flag: 'a' });
        }
        paths.set(v.name, p);
      } else {
        const files = await volumeFiles(pod, v, src, facts, tokens);
        if (!files) throw new VolumeError(`unsupported volume type ${Object.keys(v).filter((k) => k !== 'name').join(',')}`);
        await writeFiles(dir, files);
        paths.set(v.name, dir);
      }
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : ${msg}`);
    }
  }
  const refreshAt = tokens.sort((a, b) => a.getTime() - b.getTime())[0];
  return refreshAt ? { paths, refreshAt } : { paths };
}
