// Job tokens, on the real node (Azure Batch authenticationTokenSettings: "a Task can request Job
// permissions in order to add other Tasks to the Job, or check the status of the Job or of
// other Tasks under the Job"; the token is in AZ_BATCH_AUTHENTICATION_TOKEN —
// learn.microsoft.com/rest/api/batchservice/job/add#authenticationtokensettings):
// - a job manager task with access [job] adds three tasks to its own job through the API
//   server with the kubeconfig it is given; the job completes when they did;
// - adding a task to another job is refused naming the field (the job-token policy), reading
//   Secrets is forbidden (RBAC), reading its job is allowed;
// - a task that does not ask gets no token;
// - once the job completed, the token no longer authenticates (its RoleBinding and Secret are gone).
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../api/group.ts";
import { jobTokenAccount, jobTokenSecret } from "../../api/job-token.ts";
import { httpStatus } from "../../kube/errors.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

// What the job manager runs: plain Node, as any Kubernetes client would, from KUBECONFIG alone.
const managerProgram = `
import { readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
const kc = JSON.parse(readFileSync(process.env.KUBECONFIG, "utf8"));
const server = new URL(kc.clusters[0].cluster.server);
const ca = Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64");
const token = kc.users[0].user.token;
const ns = kc.contexts[0].context.namespace;
const job = process.env.AZ_BATCH_JOB_ID;
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = https.request({ host: server.hostname, port: server.port, path, method, ca, headers: { authorization: "Bearer " + token, "content-type": "application/json" } }, (res) => {
    let text = "";
    res.on("data", (c) => (text += c));
    res.on("end", () => resolve({ status: res.statusCode, message: (() => { try { return JSON.parse(text).message ?? ""; } catch { return ""; } })() }));
  });
  req.on("error", reject);
  req.end(body === undefined ? undefined : JSON.stringify(body));
});
const tasks = "/apis/kubatch.dev/v1alpha1/namespaces/" + ns + "/tasks";
const add = (name, jobName) => call("POST", tasks, { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name }, spec: { jobName, commandLine: "/bin/sh -c 'echo added $AZ_BATCH_TASK_ID'" } });
const out = { sameToken: token === process.env.AZ_BATCH_AUTHENTICATION_TOKEN, added: [] };
for (const i of [1, 2, 3]) out.added.push((await add(job + "-added-" + i, job)).status);
out.other = await add(job + "-elsewhere", "other");
out.readJob = (await call("GET", "/apis/kubatch.dev/v1alpha1/namespaces/" + ns + "/jobs/" + job)).status;
out.listTasks = (await call("GET", tasks)).status;
out.secrets = (await call("GET", "/api/v1/namespaces/" + ns + "/secrets")).status;
// Kept where the test can find it: a token that leaked must stop working when the job completes.
writeFileSync(process.env.TOKEN_COPY, token);
console.log(JSON.stringify(out));
`;

describe("job tokens (authenticationTokenSettings)", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "jobtoken");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-jobtoken-");
    writeFileSync(join(dir, "manager.mjs"), managerProgram);
    await k.warmPool("p", 1, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
  });
  after(async () => {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const completed = (name: string) => k.completedTask(name);

  test("a job manager adds tasks to its own job with its token, and to no other; a leaked token stops working when the job completed", { timeout: 240_000 }, async () => {
    await k.create("Job", "tok", {
      poolInfo: { poolId: "p" },
      onAllTasksComplete: "TerminateJob",
      jobManagerTask: {
        id: "manager",
        commandLine: `node ${join(dir, "manager.mjs")}`,
        environmentSettings: [{ name: "TOKEN_COPY", value: join(dir, "token") }],
        runExclusive: false,
        killJobOnCompletion: false,
        authenticationTokenSettings: { access: ["job"] },
      },
    });
    await k.create("Task", "plain", { jobName: "tok", commandLine: `/bin/sh -c 'echo token=\${AZ_BATCH_AUTHENTICATION_TOKEN:-none} kubeconfig=\${KUBECONFIG:-none}'` });

    const manager = await completed("tok-manager");
    assert.equal(manager.status?.executionInfo?.result, "Success", JSON.stringify(manager.status));
    const said = JSON.parse(manager.status?.stdoutTail ?? "{}") as { sameToken: boolean; added: number[]; other: { status: number; message: string }; readJob: number; listTasks: number; secrets: number };
    assert.equal(said.sameToken, true, "AZ_BATCH_AUTHENTICATION_TOKEN is the kubeconfig's token");
    assert.deepEqual(said.added, [201, 201, 201], "three tasks added to its own job");
    assert.equal(said.other.status, 403);
    assert.match(said.other.message, /spec\.jobName: a job token of job "tok" adds tasks to that job only, not to "other"/);
    assert.equal(said.readJob, 200, "it reads its job");
    assert.equal(said.listTasks, 200, "it lists the tasks");
    assert.equal(said.secrets, 403, "it reads no Secrets");

    for (const i of [1, 2, 3]) {
      const t = await completed(`tok-added-${i}`);
      assert.equal(t.status?.executionInfo?.result, "Success");
      assert.match(t.status?.stdoutTail ?? "", new RegExp(`added tok-added-${i}`));
    }
    const plain = await completed("plain");
    assert.match(plain.status?.stdoutTail ?? "", /token=none kubeconfig=none/, "a task that does not ask gets no token");

    const job = await eventually("job tok completed", 90_000, async () => {
      const j = await k.job("tok");
      return j.status?.state === "Completed" ? j : undefined;
    });
    assert.equal(job.status?.taskCounts?.succeeded, 5, JSON.stringify(job.status?.taskCounts));

    // The token's objects are the job's; once it completed, the token no longer authenticates.
    const core = kc.makeApiClient(CoreV1Api);
    const account = await core.readNamespacedServiceAccount({ name: jobTokenAccount("tok"), namespace: ns.name });
    assert.deepEqual(account.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}/${o.uid}`), [`Job/tok/${job.metadata.uid}`]);
    const recorded = async () =>
      ((await k.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns.name, plural: "jobs", name: "tok" })) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.["kubatch.dev/job-token"];
    await eventually("the job records its token revoked", 30_000, async () => ((await recorded()) === "revoked" ? true : undefined));
    const gone = (read: Promise<unknown>) => read.then(() => undefined, (err: unknown) => (httpStatus(err) === 404 ? true : Promise.reject(err)));
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await eventually("the job token's RoleBinding and Secret deleted", 30_000, async () =>
      (await gone(rbac.readNamespacedRoleBinding({ name: jobTokenAccount("tok"), namespace: ns.name }))) && gone(core.readNamespacedSecret({ name: jobTokenSecret("tok"), namespace: ns.name })),
    );
    const token = readFileSync(join(dir, "token"), "utf8");
    const cluster = kc.getCurrentCluster()!;
    const asToken = new KubeConfig();
    asToken.loadFromOptions({ clusters: [cluster], users: [{ name: "t", token }], contexts: [{ name: "t", cluster: cluster.name, user: "t" }], currentContext: "t" });
    const refused = await eventually("the leaked token refused", 30_000, async () => {
      const code = await asToken
        .makeApiClient(CustomObjectsApi)
        .listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns.name, plural: "tasks" })
        .then(() => 200, (err: unknown) => httpStatus(err));
      return code === 401 ? code : undefined;
    });
    assert.equal(refused, 401, "the revoked token no longer authenticates");
  });
});
