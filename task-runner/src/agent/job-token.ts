// A task that asks for its job's token (authenticationTokenSettings access [job]) gets it as
// Azure Batch gives it, AZ_BATCH_AUTHENTICATION_TOKEN, and as what Kubernetes clients read:
// KUBECONFIG naming a kubeconfig with the API server, its CA and the token, in the task's
// working directory (the task's own: on a pool with separateTaskUsers its user's, owner-only),
// removed when the command line ends — before output files are uploaded, so no pattern takes
// it along. The operator makes the token's Secret when
// the job asks for one (operator/src/job-token); its token controller fills it a moment later.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { jobTokenAccount, jobTokenSecret, serviceAccountNameAnnotation, serviceAccountTokenType } from "../../../api/job-token.ts";
import { errorMessage, httpStatus } from "../../../kube/errors.ts";
import { readGranted } from "./secret-read.ts";

/** How long a task waits in all for its job's token to be there (the Secret made, granted, filled). */
export const jobTokenWaitMs = 20_000;

export type JobTokenSource = {
  /** The Secret of that name in the task's namespace (a 403 while the node Role does not grant it yet is waited out). */
  read: (name: string) => Promise<V1Secret>;
  /** The API server as the agent reaches it (the tasks container shares its network). */
  server: string;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
};

/** The kubeconfig a job token's task uses. */
export function jobTokenKubeconfigText(server: string, caCrt: string, token: string, namespace: string): string {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "kubatch", server, caData: Buffer.from(caCrt).toString("base64") }],
    users: [{ name: "job-token", token }],
    contexts: [{ name: "job-token", cluster: "kubatch", user: "job-token", namespace }],
    currentContext: "job-token",
  });
  return kc.exportConfig();
}

/** The token and CA of a filled job token Secret of `job`, or why it is not (yet) one. */
function tokenOf(secret: V1Secret, job: string): { token: string; caCrt: string } | string {
  const name = jobTokenSecret(job);
  // Only a token of the job's own ServiceAccount: a Secret of that name made by someone else for another account is not used.
  if (secret.type !== serviceAccountTokenType || secret.metadata?.annotations?.[serviceAccountNameAnnotation] !== jobTokenAccount(job)) {
    return `Secret ${name} is not the job's token (type ${serviceAccountTokenType} for ServiceAccount ${jobTokenAccount(job)}): not used`;
  }
  const token = secret.data?.token;
  const caCrt = secret.data?.["ca.crt"];
  if (!token || !caCrt) return `Secret ${name} has no token yet (kube-controller-manager's token controller fills it)`;
  return { token: Buffer.from(token, "base64").toString("utf8"), caCrt: Buffer.from(caCrt, "base64").toString("utf8") };
}

/** The job's token and CA, waiting up to jobTokenWaitMs in all: the Secret may not be made (404), granted (403) or filled yet. */
export async function readJobToken(job: string, src: JobTokenSource): Promise<{ token: string; caCrt: string }> {
  const now = src.now ?? Date.now;
  const sleep = src.sleep ?? ((ms: number) => wait(ms));
  const until = now() + jobTokenWaitMs;
  const name = jobTokenSecret(job);
  for (let delay = 250; ; delay = Math.min(2 * delay, 2_000)) {
    let why: string;
    try {
      const got = tokenOf(await readGranted(() => src.read(name), { waitMs: Math.max(0, until - now()), sleep, now }), job);
      if (typeof got !== "string") return got;
      why = got;
    } catch (err) {
      if (httpStatus(err) === undefined) throw err;
      why = `Secret ${name}: ${errorMessage(err)} (the operator makes it when a task asks for it and its jobTokenClusterRole is set)`;
    }
    if (now() + delay > until) throw new Error(`no job token after ${jobTokenWaitMs / 1000} s: ${why}`);
    await sleep(delay);
  }
}

/** Writes the kubeconfig at `path` (owner-only, replaced whole) and returns the variables the task gets. */
export async function jobTokenEnvironment(job: string, namespace: string, path: string, src: JobTokenSource): Promise<Record<string, string>> {
  const { token, caCrt } = await readJobToken(job, src);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  // A new file (a random name), so the mode is what it is created with.
  await writeFile(tmp, jobTokenKubeconfigText(src.server, caCrt, token, namespace), { mode: 0o600, flag: "wx" });
  await rename(tmp, path);
  return { AZ_BATCH_AUTHENTICATION_TOKEN: token, KUBECONFIG: path };
}

/** The kubeconfig goes when the command line ended. */
export function removeJobTokenKubeconfig(path: string): Promise<void> {
  return rm(path, { force: true });
}
