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

/** Container tasks' `task-runner upload`: the output files as JSON, their credentials, and which container of which Pod to wait for. */
export const outputFilesEnv = "KUBATCH_OUTPUT_FILES";
export function outputCredentialEnv(index: number): string {
  return `KUBATCH_OUTPUT_FILE_CREDENTIAL_${index}`;
}
export const podNameEnv = "KUBATCH_POD_NAME";
export const taskContainerEnv = "KUBATCH_TASK_CONTAINER";
