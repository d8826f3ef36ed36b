import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export type TlsFiles = { ca: string; cert?: string; key?: string };

/** GET a URL once; resolves with the status code and body, or rejects on a connection error. */
export function get(url: string, tls?: TlsFiles, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const options = tls
      ? { ca: readFileSync(tls.ca), cert: tls.cert ? readFileSync(tls.cert) : undefined, key: tls.key ? readFileSync(tls.key) : undefined, timeout: timeoutMs }
      : { timeout: timeoutMs };
    const req = (url.startsWith("https:") ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host);
    socket.setTimeout(1_000);
    socket.once("connect", () => (socket.destroy(), done(true)));
    socket.once("error", () => done(false));
    socket.once("timeout", () => (socket.destroy(), done(false)));
  });
}

/** Polls check until it returns true; the error names what was awaited and the last failure. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, isDead?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const dead = isDead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await check()) return;
      last = "";
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}
