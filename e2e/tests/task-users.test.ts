// Task users on the real node (Azure Batch userIdentity; "if omitted, the Task runs as a
// non-administrative user unique to the Task" — learn.microsoft.com/azure/batch/batch-user-accounts):
// on a pool with separateTaskUsers
// - a task without userIdentity runs as a uid of its own: it reads what the start task left but
//   cannot write the start task's folder, nor read or write a running task's working directory;
// - an admin task is root of the tasks container; two pool-scope tasks share one user;
// - a file a task left owner-only is still uploaded as an output file (its folder is the node's
//   again once it ended);
// and on a pool without it a task that names a userIdentity fails with UserIdentityUnavailable.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { runnerSocketPath } from "../../api/node-contract.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = noCluster ?? (azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`");

describe("task users (userIdentity, separateTaskUsers)", { skip }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "users");
    k = new Kubatch(kc, ns.name);
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: "storage" }, stringData: { connectionString: azurite! } } });
    await Promise.all([
      k.warmPool("sep", 1, { taskSlotsPerNode: 4, separateTaskUsers: true, startTask: { commandLine: "/bin/sh -c 'echo installed > $AZ_BATCH_NODE_STARTUP_DIR/wd/tool'" } }),
      k.warmPool("shared", 1, {}),
    ]);
  });
  after(async () => {
    await ns.remove();
  });

  const completed = (name: string) => k.completedTask(name);

  test("each task as its user: its own by default, root when admin, one pool user for pool scope; no reach into another's folder or the start task's; owner-only files still uploaded", { timeout: 240_000 }, async () => {
    const blobs = BlobServiceClient.fromConnectionString(azurite!);
    const out = blobs.getContainerClient(`users-${ns.name}`);
    await out.create();
    await k.create("Job", "j", { poolInfo: { poolId: "sep" } });
    await k.create("Task", "holder", { jobName: "j", commandLine: "/bin/sh -c 'echo mine > secret.txt; sleep 8'" });
    await eventually("holder running", 60_000, async () => ((await k.task("holder")).status?.state === "Running" ? true : undefined));
    // The holder's folder, as every task of the job sees the layout.
    const holderWd = "$AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/holder/wd";
    const probe = [
      "id -u",
      "cat $AZ_BATCH_NODE_STARTUP_DIR/wd/tool",
      "(echo x > $AZ_BATCH_NODE_STARTUP_DIR/wd/mine) 2>/dev/null && echo wrote-startup || echo no-startup",
      `cat ${holderWd}/secret.txt 2>/dev/null || echo no-read`,
      `(echo x > ${holderWd}/theirs) 2>/dev/null && echo wrote-other || echo no-other`,
      `cat ${holderWd}/../stdout.txt 2>/dev/null || echo no-stdout`,
      "(mv $AZ_BATCH_NODE_ROOT_DIR/startup $AZ_BATCH_NODE_ROOT_DIR/mine) 2>/dev/null && echo moved-startup || echo kept-startup",
      `(rm -f ${runnerSocketPath}) 2>/dev/null && [ ! -e ${runnerSocketPath} ] && echo removed-socket || echo kept-socket`,
      "(rm ../stdout.txt) 2>/dev/null && echo removed-stdout || echo kept-stdout",
      "(echo shared > $AZ_BATCH_NODE_SHARED_DIR/probe) && echo wrote-shared",
      "echo private > private.txt && chmod 600 private.txt && echo wrote-own",
    ].join("; ");
    await k.create("Task", "probe", {
      jobName: "j",
      commandLine: `/bin/sh -c '${probe}'`,
      outputFiles: [{ filePattern: "private.txt", destination: { container: { containerUrl: out.url, credentialsSecretRef: { name: "storage", key: "connectionString" } } }, uploadOptions: { uploadCondition: "TaskCompletion" } }],
    });
    await k.create("Task", "admin", { jobName: "j", commandLine: `/bin/sh -c 'id -u; cat ${holderWd}/secret.txt'`, userIdentity: { autoUser: { scope: "task", elevationLevel: "admin" } } });
    for (const id of ["pool1", "pool2"]) await k.create("Task", id, { jobName: "j", commandLine: "id -u", userIdentity: { autoUser: { scope: "pool" } } });
    // A job token's kubeconfig is the task's user's to read.
    await k.create("Task", "tokened", { jobName: "j", commandLine: `/bin/sh -c 'test -r "$KUBECONFIG" && echo readable; id -u'`, authenticationTokenSettings: { access: ["job"] } });
    // The root runner's socket: a task's user cannot ask it for a process.
    await k.create("Task", "socket", { jobName: "j", commandLine: `node -e "require('net').connect('${runnerSocketPath}').on('connect',()=>{console.log('socket-open');process.exit(0)}).on('error',(e)=>console.log('no-socket '+e.code))"` });

    const p = await completed("probe");
    assert.equal(p.status?.executionInfo?.result, "Success", JSON.stringify(p.status));
    const lines = (p.status?.stdoutTail ?? "").trim().split("\n");
    assert.ok(Number(lines[0]) >= 100_000, `a uid of its own, not the node pod's 65532: ${lines[0]}`);
    assert.deepEqual(lines.slice(1), ["installed", "no-startup", "no-read", "no-other", "no-stdout", "kept-startup", "kept-socket", "kept-stdout", "wrote-shared", "wrote-own"]);
    const admin = await completed("admin");
    assert.equal(admin.status?.stdoutTail, "0\nmine\n", "admin: root, which reads the other task's folder");
    const pools = await Promise.all(["pool1", "pool2"].map((id) => completed(id)));
    assert.deepEqual(pools.map((t) => t.status?.stdoutTail), ["20000\n", "20000\n"], "pool scope: one user");
    assert.equal((await completed("socket")).status?.stdoutTail, "no-socket EACCES\n");
    const tokened = ((await completed("tokened")).status?.stdoutTail ?? "").split("\n");
    assert.equal(tokened[0], "readable");
    assert.ok(Number(tokened[1]) >= 100_000, `as its own user: ${tokened[1]}`);
    const holder = await completed("holder");
    assert.equal(holder.status?.executionInfo?.result, "Success");
    assert.equal((await out.getBlobClient("private.txt").downloadToBuffer()).toString(), "private\n", "the owner-only file was uploaded");
  });

  test("a pool without separateTaskUsers: a task that names a userIdentity fails saying which setting, one that does not runs as the node pod's user", { timeout: 120_000 }, async () => {
    await k.create("Job", "s", { poolInfo: { poolId: "shared" } });
    await k.create("Task", "named", { jobName: "s", commandLine: "id -u", userIdentity: { autoUser: { elevationLevel: "admin" } } });
    await k.create("Task", "plain", { jobName: "s", commandLine: "id -u" });
    const named = await completed("named");
    assert.equal(named.status?.executionInfo?.failureInfo?.code, "UserIdentityUnavailable", JSON.stringify(named.status?.executionInfo));
    assert.match(named.status?.executionInfo?.failureInfo?.message ?? "", /pool shared runs every task as its node pods' user; set the pool's separateTaskUsers/);
    const plain = await completed("plain");
    assert.equal(plain.status?.stdoutTail, "65532\n");
  });
});
