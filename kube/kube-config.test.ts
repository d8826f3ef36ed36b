import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpMethod, RequestContext } from "@kubernetes/client-node";
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
