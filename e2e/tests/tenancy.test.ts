// User code on a pool node holds none of the node's credentials: on the real node, a task's own
// command tries to read a Secret, to fake another task's result, to read the agent's
// environment and records — each is denied — in a namespace that enforces the restricted Pod
// Security Standard, which the node pods meet.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { mergePatch } from "../../kube/apply.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

// Runs inside the task (node -e): one line per attempt, read back from stdoutTail.
const probe = `
const fs = require("node:fs"), https = require("node:https");
const { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port, PROBE_NS: ns } = process.env;
const call = (method, path, body) => new Promise((done) => {
  const req = https.request({ host, port, method, path, rejectUnauthorized: false, headers: { "content-type": "application/merge-patch+json" } }, (res) => { res.resume(); done(String(res.statusCode)); });
  req.on("error", (e) => done("error-" + e.code));
  req.end(body);
});
(async () => {
  console.log("token-file", fs.existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token"));
  console.log("agent-state", fs.existsSync("/kubatch-agent-state"));
  // Variables only the agent's container has, as NAME= (spelt so this source, itself in the probe's environment, does not match).
  const agentOnly = ["KUBATCH_AGENT_STATE_DIR", "KUBATCH_AUTO_STORAGE_CONNECTION_STRING"].map((n) => n + String.fromCharCode(61));
  let seen = 0;
  for (const p of fs.readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d))) {
    try { const env = fs.readFileSync("/proc/" + p + "/environ", "utf8").split(String.fromCharCode(0)); if (env.some((e) => agentOnly.some((n) => e.startsWith(n)))) seen++; } catch {}
  }
  console.log("agent-env-visible", seen);
  console.log("get-secret", await call("GET", "/api/v1/namespaces/" + ns + "/secrets/tenant-secret"));
  console.log("patch-task", await call("PATCH", "/apis/kubatch.dev/v1alpha1/namespaces/" + ns + "/tasks/victim/status", JSON.stringify({ status: { state: "Completed", executionInfo: { result: "Success", exitCode: 0 } } })));
})();
`;

describe("tenancy", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster's real node") }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "tenancy");
    const core = kc.makeApiClient(CoreV1Api);
    await core.patchNamespace({ name: ns.name, body: { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } } }, mergePatch);
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: "tenant-secret" }, stringData: { password: "not-for-tasks" } } });
    k = new Kubatch(kc, ns.name);
  });
  after(async () => ns?.remove());

  test("a task cannot read a Secret, fake another task's status, or see the agent's environment", { timeout: 240_000 }, async () => {
    // Admitted under the restricted Pod Security Standard: the node pods meet it.
    await k.warmPool("tenants", 1, { taskSlotsPerNode: 2 }, 180_000);
    await k.create("Job", "j", { poolInfo: { poolId: "tenants" } });
    await k.create("Task", "victim", { jobName: "j", commandLine: "/bin/sh -c 'sleep 5; exit 7'" });
    await k.create("Task", "probe", {
      jobName: "j",
      commandLine: `node -e "eval(process.env.PROBE)"`,
      environmentSettings: [
        { name: "PROBE", value: probe },
        { name: "PROBE_NS", value: ns.name },
      ],
    });
    const done = async (name: string) =>
      eventually(`${name} completed`, 120_000, async () => {
        const t = await k.task(name);
        return t.status?.state === "Completed" ? t : undefined;
      }, async () => JSON.stringify((await k.task(name)).status));
    const p = await done("probe");
    const out = p.status?.stdoutTail ?? "";
    assert.equal(p.status?.executionInfo?.exitCode, 0, `${out}\n${p.status?.stderrTail}`);
    const line = (key: string) => out.match(new RegExp(`^${key} (.*)$`, "m"))?.[1];
    assert.equal(line("token-file"), "false", "no ServiceAccount token where tasks run");
    assert.equal(line("agent-state"), "false", "the agent's records are not mounted where tasks run");
    assert.equal(line("agent-env-visible"), "0", "no process with the agent's environment is visible");
    assert.match(line("get-secret") ?? "", /^40[13]$/, "the API server refuses the Secret (it was reached: an HTTP status)");
    assert.match(line("patch-task") ?? "", /^40[13]$/, "the API server refuses the status write");
    const v = await done("victim");
    assert.equal(v.status?.executionInfo?.exitCode, 7, "the victim's result is its own");
  });
});
