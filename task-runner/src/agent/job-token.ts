// A task that asks for its job's token (authenticationTokenSettings access [job]) gets it as
// Azure Batch gives it, AZ_BATCH_AUTHENTICATION_TOKEN, and as what Kubernetes clients read:
// KUBECONFIG naming a kubeconfig with the API server, its CA and the token. The kubeconfig is
// in the job's folder on the node, beside (not inside) the tasks' folders, so a task's
// `../**` output pattern does not upload it. The operator makes the token's Secret when the job
// asks for one (operator/src/job-token); its token controller fills it a moment later.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { jobTokenSecret } from "../../../api/job-token.ts";
import { errorMessage, httpStatus } from "../../../kube/errors.ts";

/** How long a task waits for its job's token to be there (the Secret made, granted, filled). */
export const jobTokenWaitMs = 20_000;

export type JobTokenSource = {
  /** A key of a Secret in the task's namespace; throws when the Secret or the key is missing. */
  secret: (name: string, key: string) => Promise<string | undefined>;
  /** The API server as the agent reaches it (the tasks container shares its network). */
  server: string;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
};

/** The kubeconfig a job token's task uses (JSON, which is YAML too). */
export function jobTokenKubeconfigText(server: string, caCrt: string, token: string, namespace: string): string {
  const name = "kubatch-job";
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server, "certificate-authority-data": Buffer.from(caCrt).toString("base64") } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name, namespace } }],
      "current-context": name,
    },
    null,
    2,
  );
}

/**
 * The job's token and CA, waiting up to jobTokenWaitMs for them: the Secret may not exist yet
 * (404), or not be granted yet (secret() retries 403), or not be filled yet (no key).
 */
export async function readJobToken(job: string, src: JobTokenSource): Promise<{ token: string; caCrt: string }> {
  const now = src.now ?? Date.now;
  const sleep = src.sleep ?? ((ms: number) => wait(ms));
  const until = now() + jobTokenWaitMs;
  const name = jobTokenSecret(job);
  for (let delay = 250; ; delay = Math.min(2 * delay, 2_000)) {
    try {
      const token = await src.secret(name, "token");
      const caCrt = await src.secret(name, "ca.crt");
      if (token && caCrt) return { token, caCrt };
    } catch (err) {
      // A key missing is a Secret not filled yet; an API error (404: not made yet) says so.
      if (now() + delay > until && httpStatus(err) !== undefined) {
        throw new Error(`job token Secret ${name}: ${errorMessage(err)} (the operator makes it when a task asks for it and its jobTokenClusterRole is set)`);
      }
    }
    if (now() + delay > until) throw new Error(`job token Secret ${name} has no token yet after ${jobTokenWaitMs / 1000} s (kube-controller-manager's token controller fills it)`);
    await sleep(delay);
  }
}

/** Writes the kubeconfig (owner-only, replaced whole) and returns the variables the task gets. */
export async function jobTokenEnvironment(job: string, namespace: string, kubeconfigPath: string, src: JobTokenSource): Promise<Record<string, string>> {
  const { token, caCrt } = await readJobToken(job, src);
  await mkdir(dirname(kubeconfigPath), { recursive: true });
  const tmp = `${kubeconfigPath}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, jobTokenKubeconfigText(src.server, caCrt, token, namespace), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, kubeconfigPath);
  return { AZ_BATCH_AUTHENTICATION_TOKEN: token, KUBECONFIG: kubeconfigPath };
}
