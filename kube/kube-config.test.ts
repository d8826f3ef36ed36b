import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { CoreV1Api, HttpMethod, RequestContext } from "@kubernetes/client-node";
import { PooledKubeConfig, withSignal, type RequestLimits } from "./kube-config.ts";

async function signalOf(limits: RequestLimits, perCall?: AbortSignal): Promise<AbortSignal> {
  const kc = new PooledKubeConfig(limits);
  kc.loadFromOptions({ clusters: [{ name: "c", server: "https://127.0.0.1:1" }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  let context = new RequestContext("https://127.0.0.1:1/api", HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  if (perCall) context = await withSignal(perCall).middleware![0]!.pre(context).toPromise();
  return context.getSignal()!;
}

test("every API call gets a deadline, and ends at once when its owner's or the call's signal aborts", async (t) => {
  const aborted = AbortSignal.abort(new Error("lost the lease"));
  const cases: Record<string, { limits: RequestLimits; perCall?: AbortSignal; abortedAt: "once" | "timeout" }> = {
    "the deadline alone": { limits: { timeoutMs: 20 }, abortedAt: "timeout" },
    "the owner's signal (a lost lease)": { limits: { timeoutMs: 60_000, signal: aborted }, abortedAt: "once" },
    "one call's signal (a renew deadline)": { limits: { timeoutMs: 60_000 }, perCall: aborted, abortedAt: "once" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const signal = await signalOf(tc.limits, tc.perCall);
      assert.equal(signal.aborted, tc.abortedAt === "once");
      if (tc.abortedAt === "timeout") await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      assert.equal(signal.aborted, true);
    });
  }
});

test("a call the owner refuses (its lease lapsed) is never sent, and says why", async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Namespace", apiVersion: "v1", metadata: { name: "x" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  let why: string | undefined;
  // How many more times the owner is asked before `why` takes effect: a lease lost between a call's start and its bytes leaving.
  let allowedAsks = 0;
  const kc = new PooledKubeConfig({ refuse: () => (allowedAsks-- > 0 ? undefined : why) });
  kc.loadFromOptions({ clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  const core = kc.makeApiClient(CoreV1Api);
  const cases: Record<string, { refuse?: string; allowedAsks?: number; sent: boolean }> = {
    "allowed: sent": { sent: true },
    "refused: not sent": { refuse: "the leader lease lapsed", sent: false },
    "allowed as the call began, refused as its bytes would leave (frozen in between): not sent": { refuse: "the leader lease lapsed", allowedAsks: 1, sent: false },
    "allowed again: sent": { sent: true },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      why = tc.refuse;
      allowedAsks = tc.allowedAsks ?? 0;
      const before = seen.length;
      const call = core.replaceNamespace({ name: "x", body: { metadata: { name: "x" } } });
      if (tc.sent) await call;
      // Refused at the socket, the fetch fails with the reason as its cause.
      else await assert.rejects(call, (e: Error) => /not sent: the leader lease lapsed/.test(`${e.message} ${(e.cause as Error | undefined)?.message}`));
      assert.deepEqual(seen.slice(before), tc.sent ? ["PUT /api/v1/namespaces/x"] : []);
    });
  }
});
