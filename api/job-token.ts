// Azure Batch's authenticationTokenSettings (access: [job]) in Kubernetes terms: a task that asks
// gets a token of a ServiceAccount made for its job, which may read the namespace's kubatch
// objects and create Tasks and TaskCollections in its own job only (the admission policy
// job-token.kubatch.dev holds the jobName; admission-policy.ts). The names the operator, the
// node agent, the chart and the policy agree on.
import { z } from "zod";
import { GROUP } from "./group.ts";
import { refusedWithContainer } from "./container-settings.ts";

export const authenticationTokenSettingsSchema = z
  .strictObject({
    access: z
      .array(z.literal("job"))
      .max(1)
      .optional()
      .describe("What the token may do: job — read the job and the namespace's tasks, add tasks and task collections to this job (Azure Batch's AccessScope)."),
  })
  .describe(
    "A token for the task to call the API with (Azure Batch authenticationTokenSettings): AZ_BATCH_AUTHENTICATION_TOKEN, and KUBECONFIG naming a kubeconfig that uses it. It stops working when the job completes.",
  );

export type AuthenticationTokenSettings = z.infer<typeof authenticationTokenSettingsSchema>;

/** The rule refusing a job token on a container task (its Pod is not the agent's to give one). */
export const containerTokenRule = <T extends { containerSettings?: unknown; authenticationTokenSettings?: unknown }>() =>
  refusedWithContainer<T>("authenticationTokenSettings", "a container task (containerSettings) gets no job token; only tasks run on the pool's nodes do");

/** The task asks for its job's token. */
export function wantsJobToken(settings: { access?: readonly string[] } | undefined): boolean {
  return settings?.access?.includes("job") ?? false;
}

/** Every job token's ServiceAccount name starts so; the admission policy reads the job from the rest. */
export const jobTokenAccountPrefix = "kubatch-job-";
/** The ServiceAccount (and RoleBinding) of a job's token. */
export const jobTokenAccount = (job: string) => `${jobTokenAccountPrefix}${job}`;
/** The Secret that holds a job's token (type kubernetes.io/service-account-token, filled by the token controller). */
export const jobTokenSecret = (job: string) => `${jobTokenAccountPrefix}${job}-token`;

/** What the token controller fills (Kubernetes' names): a Secret of this type for the account its annotation names. */
export const serviceAccountTokenType = "kubernetes.io/service-account-token";
export const serviceAccountNameAnnotation = "kubernetes.io/service-account.name";

/** The ClusterRole each job's RoleBinding names (the local deploy's; the chart's is `<fullname>-job-token`). */
export const jobTokenClusterRoleName = `job-token.${GROUP}`;

/** What a job token may do, namespace-wide through its RoleBinding; creating is held to its own job by the policy. */
export function jobTokenClusterRole() {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole" as const,
    metadata: { name: jobTokenClusterRoleName, labels: { "app.kubernetes.io/part-of": "kubatch" } },
    rules: [
      { apiGroups: [GROUP], resources: ["jobs", "collectionchunks"], verbs: ["get", "list", "watch"] },
      { apiGroups: [GROUP], resources: ["tasks", "taskcollections"], verbs: ["get", "list", "watch", "create"] },
    ],
  };
}
