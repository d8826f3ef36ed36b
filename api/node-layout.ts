// The node's directory layout and the AZ_BATCH_* environment (DESIGN §4), computed in one
// place: the pod spec only sets the root, pool, node and dedication; the runner derives the rest.
import { join } from "node:path";

export type NodeIdentity = { rootDir: string; poolId: string; nodeId: string; isDedicated: boolean };

export function nodeLayout(rootDir: string) {
  return {
    root: rootDir,
    shared: join(rootDir, "shared"),
    startup: join(rootDir, "startup"),
    startupWd: join(rootDir, "startup", "wd"),
    /** The job's folder on this node; its tasks, job preparation and release tasks are folders in it. */
    jobDir: (jobId: string) => join(rootDir, "workitems", jobId, "job-1"),
    taskDir: (jobId: string, taskId: string) => join(rootDir, "workitems", jobId, "job-1", taskId),
    /** A task's job token kubeconfig (agent/job-token.ts): in its working directory, which is the task's own (on a pool with separateTaskUsers, its user's). */
    jobTokenKubeconfig: (jobId: string, taskId: string) => join(rootDir, "workitems", jobId, "job-1", taskId, "wd", ".job-token.kubeconfig"),
  };
}

/** Reads the node's identity from the variables the node pod spec sets. */
export function identityFromEnv(env: NodeJS.ProcessEnv): NodeIdentity {
  const missing = ["AZ_BATCH_NODE_ROOT_DIR", "AZ_BATCH_POOL_ID", "AZ_BATCH_NODE_ID"].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(", ")} (set by the node pod spec)`);
  return {
    rootDir: env.AZ_BATCH_NODE_ROOT_DIR!,
    poolId: env.AZ_BATCH_POOL_ID!,
    nodeId: env.AZ_BATCH_NODE_ID!,
    isDedicated: env.AZ_BATCH_NODE_IS_DEDICATED !== "false",
  };
}

/**
 * The environment every start task and task sees, before the job's and the task's own settings.
 * jobPreparationTaskId: the job has a job preparation task and this is another of its tasks
 * (a task or the job release task): like Azure Batch, it sees the preparation's folders.
 */
export function batchEnvironment(node: NodeIdentity, task?: { jobId: string; taskId: string; jobPreparationTaskId?: string }): Record<string, string> {
  const layout = nodeLayout(node.rootDir);
  const env: Record<string, string> = {
    AZ_BATCH_NODE_ROOT_DIR: layout.root,
    AZ_BATCH_NODE_SHARED_DIR: layout.shared,
    AZ_BATCH_NODE_STARTUP_DIR: layout.startup,
    AZ_BATCH_POOL_ID: node.poolId,
    AZ_BATCH_NODE_ID: node.nodeId,
    AZ_BATCH_NODE_IS_DEDICATED: String(node.isDedicated),
    // The 2014 name of the root directory, still used by old samples.
    WATASK_TVM_ROOT_DIR: layout.root,
  };
  if (task) {
    const dir = layout.taskDir(task.jobId, task.taskId);
    Object.assign(env, { AZ_BATCH_JOB_ID: task.jobId, AZ_BATCH_TASK_ID: task.taskId, AZ_BATCH_TASK_DIR: dir, AZ_BATCH_TASK_WORKING_DIR: join(dir, "wd") });
    if (task.jobPreparationTaskId !== undefined) {
      const prep = layout.taskDir(task.jobId, task.jobPreparationTaskId);
      Object.assign(env, { AZ_BATCH_JOB_PREP_DIR: prep, AZ_BATCH_JOB_PREP_WORKING_DIR: join(prep, "wd") });
    }
  } else {
    Object.assign(env, { AZ_BATCH_TASK_DIR: layout.startup, AZ_BATCH_TASK_WORKING_DIR: layout.startupWd });
  }
  return env;
}

/** The runner's own variables are not passed on to user processes. */
export function userEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("KUBATCH_")));
}
