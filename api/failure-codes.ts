// failureInfo.code values that more than one component writes or reads: the agent and the
// container-task reconciler report them, the exit conditions and the scheduler act on them.
// (Codes only one place uses stay where they are written.)

/** The process exited with a code other than 0. */
export const failureExitCode = "FailureExitCode";
/** A resource file could not be downloaded: the command line never ran. */
export const resourceFileDownloadFailed = "ResourceFileDownloadFailed";
/** The job preparation task failed on the node: the job's tasks there did not run. */
export const jobPreparationTaskFailed = "JobPreparationTaskFailed";
/** An output file could not be uploaded after the command line ended. */
export const fileUploadError = "FileUploadError";
/** A container task's image could not be pulled (names containerSettings.imageName). */
export const containerImagePullFailed = "ContainerImagePullFailed";
/** A container task's container could not be created from its settings. */
export const containerConfigError = "ContainerConfigError";
/** The operator ended the task: its job was terminated, or disabled with disableTasks Terminate. */
export const taskEnded = "TaskEnded";
/** The task's node left the pool under nodeDeallocationOption Terminate. */
export const nodeDeallocated = "NodeDeallocated";
/**
 * The task's process ended with the node's agent (its container was restarted under it: killed
 * for memory, or signalled by the task) as many times as the task may be retried.
 */
export const taskInterrupted = "TaskInterruptedByNodeRestart";
/** A task asked for its job's token (authenticationTokenSettings) and none could be had: the command line never ran. */
export const jobTokenUnavailable = "JobTokenUnavailable";
