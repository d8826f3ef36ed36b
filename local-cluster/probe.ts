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

/**
 * Polls `check` until it returns a value; the error names what was awaited, the state
 * `describe` reports, and the last failure. `isDead` ends the wait at once (a process exited).
 */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  describe?: () => Promise<string>,
  opts: { everyMs?: number; isDead?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const dead = opts.isDead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = "";
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const state = describe ? await describe().catch((e: unknown) => String(e)) : "";
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${state ? `: ${state}` : ""}${last ? ` (last error: ${last})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
  }
}

/** eventually() for a yes/no check. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, isDead?: () => string | undefined): Promise<void> {
  await eventually(what, timeoutMs, async () => ((await check()) ? true : undefined), undefined, { isDead });
}
