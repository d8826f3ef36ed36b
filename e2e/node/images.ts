// The local process node has no container runtime: an image name only selects how a
// container runs on the host. Images are matched by repository (tag and digest ignored,
// `docker.io/library/` dropped); a repository also matches under any registry prefix
// (`mirror.gcr.io/library/busybox` is `busybox`). Add an entry here to support an image.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoNode = path.join(repoRoot, 'node_modules', '.bin', 'node');

/** How an image runs: its ENTRYPOINT/CMD equivalents and extra PATH entries. */
export interface ImageRecipe {
  /** Used when the container sets no `command` (like an image's ENTRYPOINT). */
  entrypoint: string[];
  /** Used when the container sets neither `command` nor `args` (like an image's CMD). */
  cmd: string[];
  /** Directories put in front of the container's PATH. */
  pathPrepend: string[];
}

interface ImageEntry {
  repositories: string[];
  recipe: () => ImageRecipe;
}

/** The first `kubectl` on the node's own PATH (the harness puts its built one first). */
function hostKubectl(): ImageRecipe {
  const found = whichOnPath('kubectl', process.env.PATH ?? '');
  if (!found) throw new Error('no kubectl on the node\'s PATH');
  return { entrypoint: [found], cmd: [], pathPrepend: [path.dirname(found)] };
}

function repoProgram(entry: string): () => ImageRecipe {
  return () => ({
    entrypoint: [repoNode, path.join(repoRoot, entry)],
    cmd: [],
    pathPrepend: [path.dirname(repoNode)],
  });
}

export const imageTable: ImageEntry[] = [
  // General-purpose images: `command`/`args` run with the host's /bin/sh and tools.
  {
    repositories: ['busybox', 'alpine', 'debian', 'ubuntu'],
    recipe: () => ({ entrypoint: [], cmd: ['sh'], pathPrepend: [] }),
  },
  { repositories: ['registry.k8s.io/pause', 'k8s.gcr.io/pause'], recipe: () => ({ entrypoint: ['sleep', 'infinity'], cmd: [], pathPrepend: [] }) },
  { repositories: ['bitnami/kubectl', 'registry.k8s.io/kubectl'], recipe: hostKubectl },
  // The repository's own Node 24 (entrypoint `node`, like the official image).
  { repositories: ['node'], recipe: () => ({ entrypoint: [repoNode], cmd: [], pathPrepend: [path.dirname(repoNode)] }) },
  { repositories: ['kubatch/task-runner'], recipe: repoProgram('task-runner/src/main.ts') },
  { repositories: ['kubatch/operator'], recipe: repoProgram('operator/src/main.ts') },
];

/** `docker.io/library/busybox:1.36@sha256:…` → `busybox`. */
export function imageRepository(image: string): string {
  let ref = image.trim();
  const at = ref.indexOf('@');
  if (at !== -1) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  for (const prefix of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/', 'library/']) {
    if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  }
  return ref;
}

export class UnknownImageError extends Error {}

/** Resolves an image to its recipe; throws UnknownImageError for images not in the table. */
export function resolveImage(image: string, table: ImageEntry[] = imageTable): ImageRecipe {
  const repo = imageRepository(image);
  for (const entry of table) {
    if (entry.repositories.some((r) => repo === r || repo.endsWith(`/${r}`))) return entry.recipe();
  }
  throw new UnknownImageError(
    `image "${image}" is not known to the local process node; map it to a host command in e2e/node/images.ts`,
  );
}

/**
 * The argv a container runs, following the kubelet's rules: `command` replaces the
 * entrypoint (and drops the image's cmd); `args` replaces the cmd.
 */
export function containerArgv(recipe: ImageRecipe, command: string[] | undefined, args: string[] | undefined): string[] {
  const hasCommand = command !== undefined && command.length > 0;
  const hasArgs = args !== undefined && args.length > 0;
  if (hasCommand) return [...command, ...(args ?? [])];
  return [...recipe.entrypoint, ...(hasArgs ? args : recipe.cmd)];
}

export function whichOnPath(name: string, pathVar: string): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of pathVar.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Best effort identity of the host tool an image maps to, for imageID. */
export function imageID(image: string): string {
  return `kubatch-process://${imageRepository(image)}`;
}

