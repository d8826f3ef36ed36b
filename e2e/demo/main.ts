// `make demo`: brings up the local cluster (or uses the reachable cluster KUBECONFIG points
// at), then runs a smoke workload — a batch/v1 Indexed Job whose pods run on the local node —
// and a blob round trip through Azurite, printing progress and where to look next.
// It becomes the OCR sample once Pools, Jobs and Tasks run (see the issues).
import { BlobServiceClient } from "@azure/storage-blob";
import { BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { up } from "../cluster/control-plane.ts";
import { waitFor } from "../cluster/probe.ts";

const namespace = "kubatch-demo";
const jobName = "smoke";
const completions = 4;

async function main(): Promise<void> {
  const started = Date.now();
  const step = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  let azurite: string | undefined;
  if (!process.env.KUBECONFIG) {
    step("Starting the local cluster (the first run builds Kubernetes from Go modules)");
    const info = await up({ log: (l) => step(`  ${l}`) });
    process.env.KUBECONFIG = info.kubeconfig;
    azurite = info.azuriteConnectionString;
  } else {
    step(`Using the cluster of KUBECONFIG=${process.env.KUBECONFIG}`);
    azurite = process.env.AZURITE_CONNECTION_STRING;
  }
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);

  await core.readNamespace({ name: namespace }).catch(() => core.createNamespace({ body: { metadata: { name: namespace } } }));
  await batch.deleteNamespacedJob({ name: jobName, namespace, propagationPolicy: "Foreground" }).catch(() => undefined);
  await waitFor("the previous smoke job to go", 60_000, async () => !(await batch.readNamespacedJob({ name: jobName, namespace }).catch(() => undefined)));
  step(`Creating Job ${namespace}/${jobName}: ${completions} indexed pods, 2 at a time`);
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name: jobName },
      spec: {
        completions,
        parallelism: 2,
        completionMode: "Indexed",
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [
              {
                name: "task",
                image: "busybox",
                command: ["/bin/sh", "-c", 'echo "task $JOB_COMPLETION_INDEX ran as pod $POD_NAME on node $NODE_NAME"'],
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                ],
              },
            ],
          },
        },
      },
    },
  });
  let last = "";
  await waitFor("the smoke job to finish", 180_000, async () => {
    const job = await batch.readNamespacedJob({ name: jobName, namespace });
    const line = `  succeeded ${job.status?.succeeded ?? 0}/${completions}, active ${job.status?.active ?? 0}, failed ${job.status?.failed ?? 0}`;
    if (line !== last) step((last = line));
    return (job.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
  });
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` });
  console.log("\nPOD                                  PHASE       EXIT  OUTPUT");
  for (const pod of pods.items) {
    const name = pod.metadata?.name ?? "";
    const exit = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
    const output = await core.readNamespacedPodLog({ name, namespace }).catch((e: unknown) => `(logs: ${String(e)})`);
    console.log(`${name.padEnd(36)} ${(pod.status?.phase ?? "").padEnd(11)} ${String(exit ?? "-").padEnd(5)} ${String(output).trim()}`);
  }

  if (azurite) {
    const blobs = BlobServiceClient.fromConnectionString(azurite);
    const container = blobs.getContainerClient("demo");
    await container.createIfNotExists();
    const text = `hello from kubatch at ${new Date().toISOString()}`;
    await container.getBlockBlobClient("hello.txt").upload(text, Buffer.byteLength(text));
    const back = (await container.getBlockBlobClient("hello.txt").downloadToBuffer()).toString();
    step(`Azurite blob round trip: ${back === text ? "ok" : "MISMATCH"} (${container.url}/hello.txt)`);
  }

  console.log(`
Look further:
  export KUBECONFIG=${process.env.KUBECONFIG}
  kubectl get nodes -o wide
  kubectl -n ${namespace} get jobs,pods
  kubectl -n ${namespace} logs job/${jobName}
  bin/kubatch cluster status
Tear down:
  make cluster-down`);
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
