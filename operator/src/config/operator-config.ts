// The operator's own configuration (a YAML or JSON file given by --config or KUBATCH_CONFIG):
// named node sizes, the task-runner image, the node root, the node pods' NetworkPolicy and the
// auto-storage account.
import { readFileSync } from "node:fs";
import { loadYaml } from "@kubernetes/client-node";
import { z } from "zod";
import { resourcesSchema, secretKeyRefSchema } from "../../../api/kubernetes.ts";
import { formatPath } from "../../../api/parse.ts";
import packageJson from "../../../package.json" with { type: "json" };

export const operatorConfigSchema = z.strictObject({
  vmSizes: z
    .record(z.string(), resourcesSchema)
    .default({
      small: { requests: { cpu: "250m", memory: "256Mi" } },
      medium: { requests: { cpu: "1", memory: "1Gi" } },
      large: { requests: { cpu: "2", memory: "4Gi" } },
    })
    .describe("Pool.spec.vmSize names → the node pods' resources."),
  taskRunnerImage: z.string().min(1).default(`kubatch/task-runner:${packageJson.version}`).describe("Default node image (runs the task-runner)."),
  nodeRootDir: z.string().startsWith("/").default("/mnt/batch").describe("AZ_BATCH_NODE_ROOT_DIR inside node pods."),
  nodeRootSizeLimit: z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, "a Kubernetes quantity such as 10Gi")
    .default("10Gi")
    .describe(
      "sizeLimit of node pods' root emptyDir (task folders, resource files): a node pod past it is evicted and its tasks requeued. Each process's stdout.txt and stderr.txt keep at most 128 MiB (KUBATCH_TASK_OUTPUT_MAX_BYTES).",
    ),
  autoscale: z
    .strictObject({
      samplePeriod: z.string().default("30s").describe("How often autoscale pools' queues are sampled ($ActiveTasks, …); Azure Batch samples every 30 s."),
    })
    .prefault({})
    .describe("Autoscale sampling."),
  nodeNetworkPolicy: z
    .boolean()
    .default(true)
    .describe(
      "A NetworkPolicy per pool (operator/src/pool/network-policy.ts): its node pods accept connections only from the pool's own nodes and on the agent's health port; egress stays open. false: none, and the operator deletes those it made.",
    ),
  nodePodAnnotationPolicy: z
    .boolean()
    .default(false)
    .describe(
      "The admission policy node-pod-annotation is installed (the chart's admissionPolicy.enabled): node agents may then patch pods, which the policy narrows to their own pod's kubatch.dev/start-task-info annotation, and report a start task without waitForSuccess. false: no such grant (that report is missing).",
    ),
  jobTokenClusterRole: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The ClusterRole job tokens are bound to (authenticationTokenSettings access [job]; the chart's <fullname>-job-token, installed with admissionPolicy.enabled, whose policy job-token holds a token's writes to its own job). Absent: the operator makes no job tokens and tasks that ask for one fail with JobTokenUnavailable.",
    ),
  autoStorage: secretKeyRefSchema
    .optional()
    .describe("Secret (in each pool's namespace) with the connection string of the storage account behind autoStorageContainerName."),
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

export function defaultOperatorConfig(): OperatorConfig {
  return operatorConfigSchema.parse({});
}

export function loadOperatorConfig(path: string | undefined): OperatorConfig {
  if (!path) return defaultOperatorConfig();
  const parsed = operatorConfigSchema.safeParse(loadYaml(readFileSync(path, "utf8")) ?? {});
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
