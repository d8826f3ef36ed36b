// Each container runs in its own mount namespace (`unshare -m`), where a short sh
// prelude bind-mounts its volumes at their mountPaths before exec'ing the command: a
// host process then sees `/var/run/secrets/kubernetes.io/serviceaccount` like a pod does.

export interface BindMount {
  /** Host path of the volume (or of its subPath). */
  source: string;
  /** The container's mountPath. */
  target: string;
  readOnly: boolean;
  /** The source is a file: bind it onto a file. */
  file: boolean;
}

/**
 * Pods here share the host's filesystem: a mountPath that is the repository or one of its
 * parents (an emptyDir at /tmp while the checkout lives under /tmp) would hide the very
 * programs the images map to. Such a mount is left out and the container uses the host's path.
 */
export function hidesPath(target: string, protectedPath: string): boolean {
  const t = target.replace(/\/+$/, '') || '/';
  return t === '/' || protectedPath === t || protectedPath.startsWith(`${t}/`);
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Where sources are staged inside the container's namespace (a private tmpfs). */
export const stagingDir = '/run/kubatch-mounts';

/**
 * The sh script run as `sh -c <script> sh <argv…>`: mounts, working dir, then exec.
 * Every source is first bound into a private staging tmpfs, then onto its target: a target
 * such as /tmp could otherwise hide the sources of later mounts (the node's state folder may
 * itself live under /tmp).
 */
export function preludeScript(mounts: BindMount[], workingDir: string): string {
  const lines = ['set -e'];
  if (mounts.length > 0) lines.push(`mkdir -p ${stagingDir}`, `mount -t tmpfs kubatch-mounts ${stagingDir}`);
  const staged = mounts.map((m, i) => ({ ...m, stage: `${stagingDir}/${i}` }));
  for (const m of staged) {
    lines.push(m.file ? `: > ${m.stage}` : `mkdir ${m.stage}`, `mount --bind ${shellQuote(m.source)} ${m.stage}`);
  }
  // Parents first, so a mount inside another volume's mountPath is not hidden by it.
  const ordered = [...staged].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const m of ordered) {
    const t = shellQuote(m.target);
    if (m.file) {
      const dir = m.target.slice(0, m.target.lastIndexOf('/')) || '/';
      lines.push(`mkdir -p ${shellQuote(dir)}`, `[ -e ${t} ] || : > ${t}`);
    } else {
      lines.push(`mkdir -p ${t}`);
    }
    lines.push(`mount --bind ${m.stage} ${t}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(`mkdir -p ${shellQuote(workingDir)}`, `cd ${shellQuote(workingDir)}`, 'set +e', 'exec "$@"');
  return lines.join('\n');
}

/** argv for spawn: the namespace wrapper around the container's own argv. */
export function wrappedArgv(mounts: BindMount[], workingDir: string, argv: string[]): string[] {
  return ['unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', preludeScript(mounts, workingDir), 'sh', ...argv];
}
