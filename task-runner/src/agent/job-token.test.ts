import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { jobTokenEnvironment, jobTokenWaitMs, readJobToken } from "./job-token.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ca = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
/** A job token Secret of `account`, filled with `data`. */
const secret = (data: Record<string, string>, opts: { account?: string; type?: string } = {}): V1Secret => ({
  type: opts.type ?? "kubernetes.io/service-account-token",
  metadata: { name: "kubatch-job-j-token", annotations: { "kubernetes.io/service-account.name": opts.account ?? "kubatch-job-j" } },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const filled = (token = "tok") => secret({ token, "ca.crt": ca });

/** A source that answers each read from `script` in turn (the last repeats): a Secret, or a status code. */
function source(script: (V1Secret | number)[]) {
  let clock = 0;
  let reads = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    src: {
      server: "https://10.96.0.1:443",
      now: () => clock,
      sleep: async (ms: number) => void (sleeps.push(ms), (clock += ms)),
      read: async (name: string) => {
        assert.equal(name, "kubatch-job-j-token");
        const step = script[Math.min(reads++, script.length - 1)]!;
        if (typeof step === "number") throw Object.assign(new Error(`HTTP ${step}`), { code: step });
        return step;
      },
    },
  };
}

describe("a task's job token", () => {
  const cases: Record<string, { script: (V1Secret | number)[]; error?: RegExp }> = {
    "there at once": { script: [filled()] },
    "the Secret made a moment later (404 first)": { script: [404, 404, filled()] },
    "not granted to the node yet (403 first)": { script: [403, 403, 403, filled()] },
    "the token controller fills it a moment later": { script: [secret({}), secret({ "ca.crt": ca }), filled()] },
    "never made: fails naming the Secret and why": { script: [404], error: /no job token after 20 s: Secret kubatch-job-j-token: HTTP 404 \(the operator makes it when a task asks for it and its jobTokenClusterRole is set\)$/ },
    "never filled: fails saying so": { script: [secret({ "ca.crt": ca })], error: /no job token after 20 s: Secret kubatch-job-j-token has no token yet/ },
    "a Secret of that name for another ServiceAccount is not used": { script: [secret({ token: "admin", "ca.crt": ca }, { account: "admin" })], error: /is not the job's token .*: not used$/ },
    "a Secret of that name that is no token is not used": { script: [secret({ token: "x", "ca.crt": ca }, { type: "Opaque" })], error: /is not the job's token/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      const s = source(tc.script);
      const read = readJobToken("j", s.src);
      if (tc.error) await assert.rejects(read, tc.error);
      else assert.deepEqual(await read, { token: "tok", caCrt: ca });
      assert.ok(s.sleeps.reduce((a, b) => a + b, 0) <= jobTokenWaitMs + 2_000, "one budget for every wait (403s included)");
    });
  }

  it("writes an owner-only kubeconfig that client-node reads as the job's token on the agent's server, in the task's namespace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubatch-job-token-"));
    try {
      const path = join(dir, "workitems", "j", "job-1", "t", ".job-token.kubeconfig");
      const env = await jobTokenEnvironment("j", "ns", path, source([filled()]).src);
      assert.deepEqual(env, { AZ_BATCH_AUTHENTICATION_TOKEN: "tok", KUBECONFIG: path });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(path, "utf8"));
      assert.equal(kc.getCurrentCluster()?.server, "https://10.96.0.1:443");
      assert.equal(Buffer.from(kc.getCurrentCluster()!.caData!, "base64").toString(), ca);
      assert.equal(kc.getCurrentUser()?.token, "tok");
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, "ns");
      // Written again (a retry after an agent restart): replaced whole.
      await jobTokenEnvironment("j", "ns", path, source([filled("tok2")]).src);
      const again = new KubeConfig();
      again.loadFromString(readFileSync(path, "utf8"));
      assert.equal(again.getCurrentUser()?.token, "tok2");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
