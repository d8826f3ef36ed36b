import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { jobTokenEnvironment, jobTokenWaitMs, readJobToken } from "./job-token.ts";

/** A Secret source that answers each read from `script` in turn (the last repeats): a value, a missing key, or a status code. */
function source(script: (Record<string, string> | number)[]) {
  let clock = 0;
  let reads = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    reads: () => reads,
    src: {
      server: "https://10.96.0.1:443",
      now: () => clock,
      sleep: async (ms: number) => void (sleeps.push(ms), (clock += ms)),
      secret: async (name: string, key: string) => {
        assert.equal(name, "kubatch-job-j-token");
        const step = script[Math.min(Math.floor(reads++ / 2), script.length - 1)]!;
        if (typeof step === "number") throw Object.assign(new Error(`HTTP ${step}`), { code: step });
        if (!(key in step)) throw new Error(`Secret ${name} has no key ${key}`);
        return step[key];
      },
    },
  };
}

const filled = { token: "tok", "ca.crt": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" };

describe("a task's job token", () => {
  const cases: Record<string, { script: (Record<string, string> | number)[]; ok: boolean; error?: RegExp }> = {
    "there at once": { script: [filled], ok: true },
    "the Secret made a moment later (404 first)": { script: [404, 404, filled], ok: true },
    "the token controller fills it a moment later": { script: [{}, { "ca.crt": "c" }, filled], ok: true },
    "never made: fails naming the Secret and why": { script: [404], ok: false, error: /job token Secret kubatch-job-j-token: HTTP 404 \(the operator makes it when a task asks for it and its jobTokenClusterRole is set\)/ },
    "never filled: fails saying so": { script: [{ "ca.crt": "c" }], ok: false, error: /kubatch-job-j-token has no token yet after 20 s/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      const s = source(tc.script);
      const read = readJobToken("j", s.src);
      if (tc.ok) assert.deepEqual(await read, { token: "tok", caCrt: filled["ca.crt"] });
      else await assert.rejects(read, tc.error!);
      assert.ok(s.sleeps.reduce((a, b) => a + b, 0) <= jobTokenWaitMs, "waits at most jobTokenWaitMs");
    });
  }

  it("writes an owner-only kubeconfig that client-node reads as the job's token on the agent's server, in the task's namespace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubatch-job-token-"));
    try {
      const path = join(dir, "workitems", "j", "job-1", ".job-token.kubeconfig");
      const env = await jobTokenEnvironment("j", "ns", path, source([filled]).src);
      assert.deepEqual(env, { AZ_BATCH_AUTHENTICATION_TOKEN: "tok", KUBECONFIG: path });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const kc = new KubeConfig();
      kc.loadFromString(readFileSync(path, "utf8"));
      assert.equal(kc.getCurrentCluster()?.server, "https://10.96.0.1:443");
      assert.equal(Buffer.from(kc.getCurrentCluster()!.caData!, "base64").toString(), filled["ca.crt"]);
      assert.equal(kc.getCurrentUser()?.token, "tok");
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, "ns");
      // Written again (another task of the job on this node): replaced whole.
      await jobTokenEnvironment("j", "ns", path, source([{ ...filled, token: "tok2" }]).src);
      assert.match(readFileSync(path, "utf8"), /"token": "tok2"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
