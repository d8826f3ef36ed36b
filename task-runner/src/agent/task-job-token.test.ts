// executeTask with authenticationTokenSettings (real processes): the command line sees the
// token and a kubeconfig that exists while it runs and is gone once it ended (before output
// files are uploaded); without a token to be had the command line never runs; a task that does
// not ask gets neither variable.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { jobTokenUnavailable } from "../../../api/failure-codes.ts";
import { job } from "./job-fixtures.ts";
import { executeTask, type ExecutionContext } from "./task-execution.ts";
import { runProcess } from "../process/run-process.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-task-token-"));
after(() => rmSync(root, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString("base64");
const tokenSecret: V1Secret = {
  type: "kubernetes.io/service-account-token",
  metadata: { annotations: { "kubernetes.io/service-account.name": "kubatch-job-j" } },
  data: { token: b64("the-token"), "ca.crt": b64("CA") },
};

function context(readSecret: (name: string) => Promise<V1Secret>): ExecutionContext {
  return {
    node: { rootDir: join(root, "node"), poolId: "p", nodeId: "n1", isDedicated: true },
    launch: (o) => runProcess({ ...o, env: { PATH: process.env.PATH, ...o.env } }),
    secret: async () => undefined,
    api: { namespace: "ns", server: "https://10.96.0.1:443", readSecret },
  };
}

// What the command line saw: the token, and the kubeconfig if there was one then (copied for the test to read).
const seen = join(root, "seen.kubeconfig");
const probe = `/bin/sh -c 'echo "token=\${AZ_BATCH_AUTHENTICATION_TOKEN:-none}"; if [ -n "$KUBECONFIG" ] && [ -f "$KUBECONFIG" ]; then echo kubeconfig=present; cp "$KUBECONFIG" ${seen}; else echo kubeconfig=none; fi'`;

describe("a task with authenticationTokenSettings", () => {
  it("sees the token and its kubeconfig while it runs; the kubeconfig is gone after", async () => {
    const o = await executeTask({ jobName: "j", id: "asks", commandLine: probe, constraints: {}, authenticationTokenSettings: { access: ["job"] } }, job(), context(async () => tokenSecret));
    assert.equal(o.result, "Success", JSON.stringify(o));
    assert.match(o.stdoutTail ?? "", /token=the-token\nkubeconfig=present\n/);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(seen, "utf8"));
    assert.deepEqual([kc.getCurrentCluster()?.server, kc.getCurrentUser()?.token, kc.getContextObject(kc.getCurrentContext())?.namespace], ["https://10.96.0.1:443", "the-token", "ns"]);
    const kubeconfig = join(root, "node", "workitems", "j", "job-1", "asks", "wd", ".job-token.kubeconfig");
    assert.equal(existsSync(kubeconfig), false, "removed when the command line ended");
    assert.equal(existsSync(join(root, "node", "workitems", "j", "job-1", "asks", "wd")), true);
  });

  it("no token to be had: JobTokenUnavailable, the command line never ran", { timeout: 40_000 }, async () => {
    const marker = join(root, "ran");
    const o = await executeTask(
      { jobName: "j", id: "refused", commandLine: `/bin/sh -c "touch ${marker}"`, constraints: {}, authenticationTokenSettings: { access: ["job"] } },
      job(),
      context(async () => ({ ...tokenSecret, metadata: { annotations: { "kubernetes.io/service-account.name": "someone-else" } } })),
    );
    assert.equal(o.result, "Failure");
    assert.equal(o.failureInfo?.code, jobTokenUnavailable);
    assert.match(o.failureInfo?.message ?? "", /is not the job's token/);
    assert.equal(existsSync(marker), false);
  });

  it("a task that does not ask gets neither variable", async () => {
    const o = await executeTask({ jobName: "j", id: "plain", commandLine: probe, constraints: {} }, job(), context(async () => assert.fail("no Secret is read")));
    assert.equal(o.result, "Success");
    assert.match(o.stdoutTail ?? "", /token=none\nkubeconfig=none/);
  });
});
