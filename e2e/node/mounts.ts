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

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The sh script run as `sh -c <script> sh <argv…>`: mounts, working dir, then exec. */
export function preludeScript(mounts: BindMount[], workingDir: string): string {
  const lines = ['set -e'];
  // Parents first, so a mount inside another volume's mountPath is not hidden by it.
  const ordered = [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  for (const m of ordered) {
    const t = shellQuote(m.target);
    if (m.file) {
      const dir = m.target.slice(0, m.target.lastIndexOf('/')) || '/';
      lines.push(`mkdir -p ${shellQuote(dir)}`, `[ -e ${t} ] || : > ${t}`);
    } else {
      lines.push(`mkdir -p ${t}`);
    }
    lines.push(`mount --bind ${shellQuote(m.source)} ${t}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(`mkdir -p ${shellQuote(workingDir)}`, `cd ${shellQuote(workingDir)}`, 'set +e', 'exec "$@"');
  return lines.join('\n');
}

/** argv for spawn: the namespace wrapper around the container's own argv. */
export function wrappedArgv(mounts: BindMount[], workingDir: string, argv: string[]): string[] {
  return ['unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', preludeScript(mounts, workingDir), 'sh', ...argv];
}
