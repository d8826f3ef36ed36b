// `make demo`: the Azure Batch OCR sample on kubatch. Without KUBECONFIG it brings up the
// local cluster (built from the Kubernetes Go modules on first use), Azurite and the operator;
// with KUBECONFIG it uses that cluster (the operator must be installed there, and
// AZURE_STORAGE_CONNECTION_STRING must name a storage account its nodes can reach).
import { parseArgs } from "node:util";
import { loadKubeConfig } from "../../kube/kube-config.ts";
import { jobWait } from "../../cli/job-wait.ts";
import { up } from "../../local-cluster/control-plane.ts";
import { deployLocal } from "../../local-cluster/deploy-local.ts";
import { runOcrDemo } from "./ocr-demo.ts";

const { values } = parseArgs({ options: { namespace: { type: "string", default: "kubatch-demo" }, "with-corrupt": { type: "boolean" } } });
const namespace = values.namespace!;

async function main(): Promise<number> {
  const started = Date.now();
  const step = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  let connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
  if (!process.env.KUBECONFIG) {
    step("Starting the local cluster (the first run builds Kubernetes from Go modules, about 5 minutes)");
    const info = await up({ log: (l) => step(`  ${l}`) });
    process.env.KUBECONFIG = info.kubeconfig;
    connectionString = info.azuriteConnectionString;
    step("Installing the CRDs and starting the operator");
    await deployLocal({ log: (l) => step(`  ${l}`) });
  } else {
    step(`Using the cluster of KUBECONFIG=${process.env.KUBECONFIG} (the operator must be installed there)`);
    if (!connectionString) throw new Error("with KUBECONFIG set, AZURE_STORAGE_CONNECTION_STRING must name the storage account to use");
  }
  const kc = loadKubeConfig();
  const result = await runOcrDemo({
    kubeConfig: kc,
    namespace,
    connectionString: connectionString!,
    withCorrupt: values["with-corrupt"],
    log: step,
    waitForJob: async (job) => {
      step(`Waiting for the tasks of ${job} (kubatch job wait ${job} -n ${namespace})`);
      await jobWait([job, "-n", namespace, "--timeout", "15m"]);
    },
  });

  console.log("\nTASK         STATE       EXIT  RESULT   NODE                                 IMAGE");
  for (const t of result.tasks) {
    console.log(`${t.taskId.padEnd(12)} ${(t.state ?? "-").padEnd(11)} ${String(t.exitCode ?? "-").padEnd(5)} ${(t.result ?? "-").padEnd(8)} ${(t.node ?? "-").padEnd(36)} ${t.image}`);
  }
  console.log("\nRECOGNISED TEXT (ocr-results)");
  for (const t of result.tasks) {
    if (t.recognised !== undefined) console.log(`  ${t.image}: "${t.recognised.trim()}"  CER ${((t.cer ?? 0) * 100).toFixed(1)}%`);
    else {
      const lines = t.stderrTail?.trim().split("\n") ?? [];
      console.log(`  ${t.image}: no result — ${lines.find((l) => l.startsWith("ocr-task:")) ?? lines.pop() ?? "see the task's stderr"}`);
    }
  }
  const failed = result.tasks.filter((t) => t.result !== "Success");
  console.log(`\n${result.tasks.length - failed.length}/${result.tasks.length} tasks succeeded, ${result.resultBlobs} result blobs, character error rate ${(result.totalCer * 100).toFixed(2)}% over the recognised images`);
  const kubeconfigHint = process.env.KUBECONFIG;
  console.log(`
Look further:
  export KUBECONFIG=${kubeconfigHint}
  kubectl get kubatch -n ${namespace}                     # pools, work items, jobs, tasks
  kubectl get kpool ocr-pool -n ${namespace} -o yaml      # nodes, start task info, conditions
  bin/kubatch task list ${result.job} -n ${namespace}
  bin/kubatch task output ${result.tasks[0]?.name ?? "TASK"} -n ${namespace}
  kubectl get events -n ${namespace}
Tear down:
  make cluster-down`);
  return failed.length === 0 || values["with-corrupt"] ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
