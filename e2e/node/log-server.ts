// The kubelet endpoint the API server proxies `kubectl logs` to:
// GET /containerLogs/{namespace}/{pod}/{container}, plus /healthz. The API server
// authenticates with a client certificate, which is requested but not checked.

import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { streamLog, type LogOptions } from './log-reader.ts';
import type { PodRuntime } from './pod-runtime.ts';

export type RuntimeLookup = (namespace: string, pod: string) => PodRuntime | undefined;

function intParam(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

export function startLogServer(
  opts: { port: number; certFile: string; keyFile: string }, lookup: RuntimeLookup, log: (msg: string) => void,
): Promise<https.Server> {
  const server = https.createServer({
    cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile), requestCert: true, rejectUnauthorized: false,
  }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const fail = (code: number, msg: string) => {
      res.writeHead(code, { 'Content-Type': 'text/plain' });
      res.end(msg);
    };
    if (url.pathname === '/healthz') return fail(200, 'ok');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return fail(404, `${url.pathname} is not served by the local process node`);
    const [namespace, podName, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? '')) as [string, string, string];
    const rt = lookup(namespace, podName);
    const rec = rt?.record(container);
    if (!rt || !rec) return fail(404, `container "${container}" in pod "${podName}" is not known to this node`);
    const previous = url.searchParams.get('previous') === 'true';
    const count = previous ? rec.restartCount - 1 : rec.restartCount;
    const file = rt.logPath(container, count);
    if (count < 0 || !existsSync(file)) {
      if (previous) return fail(400, `previous terminated container "${container}" in pod "${podName}" not found`);
      const reason = 'waiting' in rec.state ? rec.state.waiting.reason : 'ContainerCreating';
      return fail(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
    }
    const logOpts: LogOptions = {
      follow: url.searchParams.get('follow') === 'true',
      timestamps: url.searchParams.get('timestamps') === 'true',
    };
    const tailLines = intParam(url.searchParams.get('tailLines'));
    const limitBytes = intParam(url.searchParams.get('limitBytes'));
    if (tailLines !== undefined) logOpts.tailLines = tailLines;
    if (limitBytes !== undefined) logOpts.limitBytes = limitBytes;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    const stillThisRun = () => !previous && rt.isRunning(container) && rec.restartCount === count;
    streamLog(file, logOpts, stillThisRun, res, abort.signal)
      .catch((err) => log(`serving logs of ${namespace}/${podName}/${container} failed: ${(err as Error).message}`))
      .finally(() => res.end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      log(`kubelet endpoint listening on https://127.0.0.1:${(server.address() as AddressInfo).port}`);
      resolve(server);
    });
  });
}
