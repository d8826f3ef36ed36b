// Container probes and exec hooks: exec (inside the container's mount namespace via
// nsenter), httpGet and tcpSocket, run on the kubelet's schedule and thresholds.

import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { hostIP } from './pod-status.ts';

export interface ExecTarget {
  pid: number;
  env: Record<string, string>;
  workingDir: string;
}

/** Runs argv in the container's mount namespace; resolves to its exit code (-1 on timeout). */
export function execInContainer(target: ExecTarget, argv: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('nsenter', ['-t', String(target.pid), '-m', '--', '/bin/sh', '-c', 'cd "$0" 2>/dev/null; exec "$@"', target.workingDir, ...argv], {
      detached: true, env: target.env, stdio: 'ignore',
    });
    const timer = setTimeout(() => {
      try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* already gone */ }
      resolve(-1);
    }, timeoutMs);
    child.once('error', () => { clearTimeout(timer); resolve(-1); });
    child.once('exit', (code) => { clearTimeout(timer); resolve(code ?? -1); });
  });
}

function portOf(port: number | string, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`named port "${port}" not found`);
  return named.containerPort;
}

export function httpGetOk(
  h: { host?: string; port: number; path?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] }, timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const lib = h.scheme === 'HTTPS' ? https : http;
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/kubatch' };
    for (const x of h.httpHeaders ?? []) headers[x.name] = x.value;
    const req = lib.request({
      host: h.host || hostIP, port: h.port, path: h.path ?? '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false,
    }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpOk(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** One probe attempt. */
export async function probeOnce(probe: V1Probe, container: V1Container, target: ExecTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return (await execInContainer(target, probe.exec.command ?? [], timeoutMs)) === 0;
    if (probe.httpGet) {
      const g = probe.httpGet;
      return await httpGetOk({ ...g, port: portOf(g.port as number | string, container) }, timeoutMs);
    }
    if (probe.tcpSocket) return await tcpOk(probe.tcpSocket.host || hostIP, portOf(probe.tcpSocket.port as number | string, container), timeoutMs);
  } catch {
    return false;
  }
  // gRPC probes are not implemented: count them as passing rather than wedging the pod.
  return true;
}

/**
 * Runs a probe every periodSeconds after initialDelaySeconds and reports each change of
 * its result once failureThreshold/successThreshold consecutive attempts agree.
 */
export class ProbeLoop {
  readonly #probe: V1Probe;
  readonly #attempt: () => Promise<boolean>;
  readonly #onChange: (ok: boolean) => void;
  #result: boolean;
  #successes = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(probe: V1Probe, initial: boolean, attempt: () => Promise<boolean>, onChange: (ok: boolean) => void) {
    this.#probe = probe;
    this.#result = initial;
    this.#attempt = attempt;
    this.#onChange = onChange;
  }

  start(): void {
    this.#schedule((this.#probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const ok = await this.#attempt();
    if (this.#stopped) return;
    if (ok) { this.#successes++; this.#failures = 0; } else { this.#failures++; this.#successes = 0; }
    const successThreshold = this.#probe.successThreshold ?? 1;
    const failureThreshold = this.#probe.failureThreshold ?? 3;
    if (!this.#result && ok && this.#successes >= successThreshold) {
      this.#result = true;
      this.#onChange(true);
    } else if (this.#result !== false && !ok && this.#failures >= failureThreshold) {
      this.#result = false;
      this.#onChange(false);
    } else if (!this.#result && !ok && this.#failures === failureThreshold) {
      // Startup probes fail for good at the threshold even though they start out false.
      this.#onChange(false);
    }
    this.#schedule((this.#probe.periodSeconds ?? 10) * 1000);
  }
}
