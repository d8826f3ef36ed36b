// What the operator passes to the task-runner in a node pod, in one place for both sides.

/** JSON array of resource files for `task-runner fetch`. */
export const resourceFilesEnv = "KUBATCH_RESOURCE_FILES";

/** The value of resourceFiles[i].credentialsSecretRef, mapped from its Secret by the pod spec. */
export function credentialEnv(index: number): string {
  return `KUBATCH_RESOURCE_FILE_CREDENTIAL_${index}`;
}

/** Connection string of the storage account behind autoStorageContainerName. */
export const autoStorageEnv = "KUBATCH_AUTO_STORAGE_CONNECTION_STRING";

/** The start task's command line and retry limit, for `task-runner start-task`. */
export const commandLineEnv = "KUBATCH_COMMAND_LINE";
export const maxRetriesEnv = "KUBATCH_MAX_TASK_RETRY_COUNT";

/**
 * The agent's cap on each of a process's stdout.txt and stderr.txt, in bytes (default 64 MiB):
 * past half of it the file becomes stdout.txt.1, and the generation before is dropped. Not set
 * by the operator; a pool's podTemplate can set it on the node's containers.
 */
export const taskOutputMaxBytesEnv = "KUBATCH_TASK_OUTPUT_MAX_BYTES";
export const defaultTaskOutputMaxBytes = 64 * 1024 * 1024;

/** Container tasks' `task-runner upload`: the output files as JSON, their credentials, and which container of which Pod to wait for. */
export const outputFilesEnv = "KUBATCH_OUTPUT_FILES";
export function outputCredentialEnv(index: number): string {
  return `KUBATCH_OUTPUT_FILE_CREDENTIAL_${index}`;
}
export const podNameEnv = "KUBATCH_POD_NAME";
export const taskContainerEnv = "KUBATCH_TASK_CONTAINER";

/**
 * A pool's own node image needs no kubatch inside it: an init container from the task-runner
 * image installs the agent into this emptyDir (Node, the shared libraries it loaded, and the
 * task-runner's code), and the node's containers run it through the bundled dynamic loader,
 * so it works in any Linux image of the node's architecture, with or without a libc or a
 * shell of its own. Tasks still run with the image's own tools and libraries.
 */
export const injectedAgentDir = "/kubatch-agent";
export const injectedAgentVolume = "kubatch-agent";

/** The command of a container that runs the injected task-runner (its mode goes in args). */
export function injectedAgentCommand(dir = injectedAgentDir): string[] {
  // Node's options on its command line, not in NODE_OPTIONS: tasks inherit the agent's
  // environment, and an image's own older `node` would refuse the option.
  return [`${dir}/lib/ld.so`, "--library-path", `${dir}/lib`, `${dir}/bin/node`, "--disable-warning=ExperimentalWarning", `${dir}/app/task-runner/src/main.ts`];
}

/**
 * The node pod's two main containers: `agent` (the task-runner image, the only one with the
 * ServiceAccount token) and `tasks` (the pool's image, where user code runs, without the token
 * or the agent's environment). The agent starts processes through the runner listening on this
 * Unix socket, in an emptyDir both mount.
 */
export const runnerSocketEnv = "KUBATCH_RUNNER_SOCKET";
export const runnerSocketDir = "/kubatch-runner";
export const runnerSocketVolume = "kubatch-runner";
export const runnerSocketPath = `${runnerSocketDir}/runner.sock`;
/** The node pod's container that runs the agent, always in the task-runner image. */
export const agentContainerName = "agent";
/**
 * The task-runner image's ENTRYPOINT (images/task-runner.Dockerfile; e2e/layers checks they
 * agree): `kubatch task file` runs its `files` mode in the agent container through pods/exec.
 */
export const taskRunnerEntrypoint = ["node", "/opt/kubatch/task-runner/src/main.ts"];
/** The agent's own emptyDir (its run records), mounted only into the agent container. */
export const agentStateDirEnv = "KUBATCH_AGENT_STATE_DIR";
export const agentStateDir = "/kubatch-agent-state";
export const agentStateVolume = "kubatch-agent-state";
/** Set ("true") on the agent when the pool's start task runs without waitForSuccess: the agent reports the runner's record of it on its pod (start-task-info annotation). */
export const startTaskReportEnv = "KUBATCH_START_TASK_REPORT";
/** The start task without waitForSuccess, for the runner to run once per node pod: JSON of the start task's environment. */
export const startTaskEnvironmentEnv = "KUBATCH_START_TASK_ENVIRONMENT";
/**
 * The agent's /healthz and /readyz (the node pod's probes): the container port named `health`.
 * The agent listens on the port its environment names, which the operator sets to the same.
 */
export const agentHealthPortEnv = "KUBATCH_AGENT_HEALTH_PORT";
export const agentHealthPort = 8081;
export const agentHealthPortName = "health";

/** On a pool with separateTaskUsers, the tasks container's runner starts each task as its own user (runner/task-users.ts). */
export const separateTaskUsersEnv = "KUBATCH_SEPARATE_TASK_USERS";
/** The node pod's user and group id (distroless's nonroot): every container but a separate-users tasks container runs as it. */
export const nodeUser = 65532;
