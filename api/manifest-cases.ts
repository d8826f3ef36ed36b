/**
 * Valid and invalid manifests of every kind, shared by the zod tests (api.test.ts) and the
 * API server agreement test (apiserver.test.ts): both must accept every valid one and refuse
 * every invalid one, naming `field`.
 */
import { API_VERSION } from "./group.ts";

type Obj = Record<string, unknown>;

export interface InvalidCase {
  object: Obj;
  /** The field path the problem must name (zod: a problem's path; API server: in its message). */
  field: string;
}

function manifest(kind: string, name: string, spec: unknown): Obj {
  return spec === undefined
    ? { apiVersion: API_VERSION, kind, metadata: { name } }
    : { apiVersion: API_VERSION, kind, metadata: { name }, spec };
}

const pool = (spec: Obj, name = "p") => manifest("Pool", name, { vmSize: "small", ...spec });
const poolRaw = (spec: Obj | undefined, name = "p") => manifest("Pool", name, spec);
const job = (spec: Obj, name = "j") => manifest("Job", name, { poolInfo: { poolId: "p" }, ...spec });
const task = (spec: Obj, name = "t") => manifest("Task", name, { jobName: "j", commandLine: "/bin/true", ...spec });
const taskRaw = (spec: Obj, name = "t") => manifest("Task", name, spec);
/** An environment list of `values` values of the 32 KiB maximum each (names E0, E1, ...). */
const bigEnvironment = (values: number) => Array.from({ length: values }, (_, i) => ({ name: `E${i}`, value: "x".repeat(32768) }));
const workItem = (spec: Obj, name = "w") => manifest("WorkItem", name, { jobSpecification: { poolInfo: { poolId: "p" } }, ...spec });
const startTaskFile = (file: Obj) => pool({ startTask: { commandLine: "/bin/true", resourceFiles: [file] } });
const collectionRaw = (spec: Obj, name = "c") => manifest("TaskCollection", name, spec);
const collection = (spec: Obj, name = "c") => collectionRaw({ jobName: "j", source: { range: { start: 0, end: 9 } }, task: { commandLine: "echo {}" }, ...spec }, name);
/** A collection whose template is `task` (plus the default command line). */
const template = (task: Obj, source: Obj = { range: { start: 0, end: 9 } }) => collection({ source, task: { commandLine: "echo {}", ...task } });
const blobs = { blobs: { containerUrl: "http://127.0.0.1:10000/devstoreaccount1/input" } };
const output = (filePattern: string, path?: string) => ({ filePattern, destination: { container: { containerUrl: "http://x/c", ...(path === undefined ? {} : { path }) } } });

export const validCases: Record<string, Obj> = {
  "tasks as their users": task({ userIdentity: { autoUser: { scope: "task", elevationLevel: "admin" } } }),
  "a pool with separate task users": pool({ separateTaskUsers: true }),
  "job tasks and collection items as their users": job({
    jobManagerTask: { id: "jm", commandLine: "/bin/true", userIdentity: { autoUser: { scope: "pool" } } },
    jobPreparationTask: { commandLine: "/bin/true", userIdentity: { autoUser: { elevationLevel: "admin" } } },
    jobReleaseTask: { commandLine: "/bin/true", userIdentity: {} },
  }),
  "collection items as their users": template({ userIdentity: { autoUser: { scope: "task" } } }),
  "task with a job token": task({ authenticationTokenSettings: { access: ["job"] } }),
  "job manager task with a job token": job({ jobManagerTask: { id: "jm", commandLine: "/bin/true", authenticationTokenSettings: { access: ["job"] } } }),
  "collection items with a job token": template({ authenticationTokenSettings: { access: ["job"] } }),
  "minimal pool": pool({}),
  "pool sized by resources, quantities as int and string": poolRaw({ resources: { requests: { cpu: 1, memory: "512Mi" }, limits: { cpu: "1500m" } } }),
  "autoscale pool": pool({
    enableAutoScale: true,
    autoScaleFormula: "$TargetDedicatedNodes = min(10, $PendingTasks.GetSample(1));",
    autoScaleEvaluationInterval: "5m",
  }),
  "pool with every extra": pool({
    image: "kubatch/task-runner:dev",
    targetDedicatedNodes: 3,
    targetLowPriorityNodes: 2,
    lowPriority: { nodeSelector: { spot: "true" }, tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }] },
    resizeTimeout: "PT30M",
    nodeDeallocationOption: "RetainedData",
    taskSlotsPerNode: 256,
    taskSchedulingPolicy: { nodeFillType: "Pack" },
    metadata: [{ name: "team", value: "ocr" }],
    nodeSelector: { "kubernetes.io/os": "linux" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "batch", effect: "NoExecute", tolerationSeconds: 60 }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    serviceAccountName: "batch-nodes",
    podTemplate: { metadata: { labels: { a: "b" } }, spec: { priorityClassName: "batch" } },
  }),
  "start task with each resource file source": pool({
    startTask: {
      commandLine: "/bin/sh -c 'cp -r tools/. $AZ_BATCH_NODE_SHARED_DIR'",
      resourceFiles: [
        { httpUrl: "https://example.com/tool.sh", filePath: "tools/tool.sh", fileMode: "0755" },
        { storageContainerUrl: "http://127.0.0.1:10000/devstoreaccount1/app", blobPrefix: "bin/", filePath: "tools", credentialsSecretRef: { name: "storage" } },
        { autoStorageContainerName: "app-packages", blobPrefix: "x" },
      ],
      environmentSettings: [{ name: "MODE", value: "fast" }, { name: "EMPTY" }],
      waitForSuccess: false,
      maxTaskRetryCount: -1,
    },
  }),
  "durations in both forms": pool({ resizeTimeout: "1h30m", autoScaleEvaluationInterval: "P1DT2H" }),
  "minimal job": job({}),
  "job at the priority bounds": job({ priority: -1000, maxParallelTasks: 1 }),
  "job with auto pool": manifest("Job", "j", {
    poolInfo: { autoPoolSpecification: { autoPoolIdPrefix: "ocr", poolLifetimeOption: "Job", pool: { vmSize: "small", targetDedicatedNodes: 1 } } },
    priority: 1000,
  }),
  "job with every task kind": job({
    constraints: { maxWallClockTime: "P2W", maxTaskRetryCount: 100 },
    commonEnvironmentSettings: [{ name: "A", value: "1" }],
    jobPreparationTask: { commandLine: "/bin/true", constraints: { maxTaskRetryCount: 3 } },
    jobReleaseTask: { commandLine: "/bin/true", maxWallClockTime: "10m" },
    jobManagerTask: { id: "manager", commandLine: "/bin/true", resourceFiles: [{ httpUrl: "http://x/y", filePath: "y" }] },
    onAllTasksComplete: "TerminateJob",
    onTaskFailure: "PerformExitOptionsJobAction",
    usesTaskDependencies: true,
    disabled: true,
    disableTasks: "Wait",
    terminate: true,
    terminateReason: "done",
  }),
  "minimal task": task({}),
  "task output file patterns inside its directory": task({
    outputFiles: ["**/*.txt", "./out/[ab]?.csv", "../stderr.txt", ".hidden/..data/x"].map((filePattern) => ({ filePattern, destination: { container: { containerUrl: "http://x/c" } } })),
  }),
  "task depending on a range of a million ids and on ids like its own": task(
    { dependsOn: { taskIds: ["70", "07"], taskIdRanges: [{ start: 1, end: 6 }, { start: 8, end: 1000007 }] } },
    "7",
  ),
  "task whose spec.id differs from a name it depends on": task({ id: "me", dependsOn: { taskIds: ["t"] } }, "t"),
  "task depending on a collection's items (an item by id, all of one, a range of another)": task({ dependsOn: { taskIds: ["sweep-7"], taskCollections: [{ name: "sweep" }, { name: "scans", start: 10, end: 19 }, { name: "tail", start: 5 }] } }),
  "task naming its job by the jobId alias": taskRaw({ jobId: "j", commandLine: "/bin/true" }),
  "task with jobName and an equal jobId": task({ jobId: "j" }),
  "task environment of 31 values of 32 KiB (under 1 MiB in all)": task({ environmentSettings: bigEnvironment(31) }),
  "task with everything": task({
    id: "page_0001",
    displayName: "Page 1",
    resourceFiles: [{ storageContainerUrl: "http://127.0.0.1:10000/devstoreaccount1/input", blobPrefix: "page-0001.png" }],
    outputFiles: [
      {
        filePattern: "../std*.txt",
        destination: { container: { containerUrl: "http://127.0.0.1:10000/devstoreaccount1/out", path: "logs" } },
        uploadOptions: { uploadCondition: "TaskFailure" },
      },
    ],
    constraints: { maxWallClockTime: "PT0.5S", retentionTime: "0", maxTaskRetryCount: 0 },
    exitConditions: {
      exitCodes: [{ code: 3, exitOptions: { jobAction: "Disable" } }],
      exitCodeRanges: [{ start: 10, end: 10, exitOptions: { dependencyAction: "Satisfy" } }],
      preProcessingError: { jobAction: "Terminate" },
      fileUploadError: { jobAction: "None" },
      default: { jobAction: "Terminate", dependencyAction: "Block" },
    },
    dependsOn: { taskIds: ["a", "b-1"], taskIdRanges: [{ start: 1, end: 100 }] },
    requiredSlots: 2,
    affinityInfo: { affinityId: "p-node-1" },
    containerSettings: { imageName: "busybox:1.36", workingDirectory: "ContainerImageDefault", imagePullPolicy: "IfNotPresent" },
  }),
  "a task's command line is no template: {nmae} is its own": task({ commandLine: "echo {nmae}" }),
  "collection of a range of 10,000,000 numbers": collection({ source: { range: { start: 0, end: 9_999_999 } } }),
  "collection of the last int32 numbers": collection({ source: { range: { start: 2147483647 - 9, end: 2147483647 } } }),
  "collection of listed items": collection({ source: { items: ["in/a.png", "in/b c.png", ""] } }),
  "collection of 10,000 listed items": collection({ source: { items: Array.from({ length: 10_000 }, (_, i) => `page-${i}.png`) } }),
  "collection of the blobs under a prefix": collection({
    source: { blobs: { containerUrl: "http://127.0.0.1:10000/devstoreaccount1/input", prefix: "scans/", credentialsSecretRef: { name: "ocr-storage" } } },
    task: { commandLine: "ocr.sh {blobUrl} {name}" },
  }),
  "collection template using every placeholder and ${HOME}": template(
    {
      commandLine: "/bin/sh -c 'echo {} {item} {index} {name} {blobUrl} {blobName} ${HOME} {{literal}} {print $1}'",
      environmentSettings: [{ name: "SRC", value: "{blobUrl}" }, { name: "N", value: "{index}-${X}" }, { name: "EMPTY" }],
      outputFiles: [output("out/{index}.txt", "results/{blobName}.txt"), output("../std*.txt")],
    },
    blobs,
  ),
  "collection with a dotted name, an idPrefix and the jobId alias": collectionRaw(
    { jobId: "j", idPrefix: "sweep_v1", source: { range: { start: 1, end: 3 } }, task: { commandLine: "simulate --seed {}" } },
    "sweep.v1",
  ),
  "collection with everything": collection({
    idPrefix: "p".repeat(56),
    task: {
      commandLine: "simulate --seed {} --out out/{index}",
      environmentSettings: Array.from({ length: 100 }, (_, i) => ({ name: `E${i}`, value: "x".repeat(8192) })),
      resourceFiles: [{ httpUrl: "http://x/tool.sh", filePath: "tool.sh", fileMode: "0755" }],
      outputFiles: [output("out/{index}/**", "runs/{item}")],
      constraints: { maxWallClockTime: "PT10M", maxTaskRetryCount: 2, retentionTime: "P7D" },
      exitConditions: { exitCodes: [{ code: 3, exitOptions: { jobAction: "None" } }], exitCodeRanges: [{ start: 10, end: 20, exitOptions: { dependencyAction: "Block" } }] },
      requiredSlots: 2,
    },
    dependsOn: { taskIds: ["setup", "c-x1", "other-7"], taskIdRanges: [{ start: 1, end: 10 }] },
  }),
  "minimal work item": workItem({}),
  "work item with a schedule": workItem({
    schedule: {
      doNotRunUntil: "2030-01-01T00:00:00Z",
      doNotRunAfter: "2030-06-01T00:00:00+02:00",
      startWindow: "PT1H",
      recurrenceInterval: "24h",
    },
    metadata: [{ name: "owner", value: "ocr" }],
  }),
  "work item with a 48-character name": workItem({}, "w".repeat(48)),
  "pool with a 63-character name": pool({}, "p".repeat(63)),
};

export const invalidCases: Record<string, InvalidCase> = {
  "pool without spec": { object: poolRaw(undefined), field: "spec" },
  "pool with neither vmSize nor resources": { object: poolRaw({ targetDedicatedNodes: 1 }), field: "spec" },
  "pool with both vmSize and resources": { object: pool({ resources: { requests: { cpu: 1 } } }), field: "spec" },
  "taskSlotsPerNode 0": { object: pool({ taskSlotsPerNode: 0 }), field: "spec.taskSlotsPerNode" },
  "taskSlotsPerNode 257": { object: pool({ taskSlotsPerNode: 257 }), field: "spec.taskSlotsPerNode" },
  "taskSlotsPerNode as a string": { object: pool({ taskSlotsPerNode: "2" }), field: "spec.taskSlotsPerNode" },
  "negative targetDedicatedNodes": { object: pool({ targetDedicatedNodes: -1 }), field: "spec.targetDedicatedNodes" },
  "unknown nodeFillType": { object: pool({ taskSchedulingPolicy: { nodeFillType: "Fill" } }), field: "spec.taskSchedulingPolicy.nodeFillType" },
  "lower-case nodeDeallocationOption": { object: pool({ nodeDeallocationOption: "requeue" }), field: "spec.nodeDeallocationOption" },
  "enableAutoScale as a string": { object: pool({ enableAutoScale: "yes" }), field: "spec.enableAutoScale" },
  "autoscale without a formula": { object: pool({ enableAutoScale: true }), field: "spec.autoScaleFormula" },
  "autoscale with targetDedicatedNodes": {
    object: pool({ enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = 1;", targetDedicatedNodes: 2 }),
    field: "spec.targetDedicatedNodes",
  },
  "resizeTimeout in words": { object: pool({ resizeTimeout: "5 minutes" }), field: "spec.resizeTimeout" },
  "autoScaleEvaluationInterval in months": { object: pool({ autoScaleEvaluationInterval: "P1M" }), field: "spec.autoScaleEvaluationInterval" },
  "unknown spec field": { object: pool({ vmsize: "small" }), field: "spec.vmsize" },
  "quantity that is not one": { object: poolRaw({ resources: { requests: { cpu: "lots" } } }), field: "spec.resources.requests.cpu" },
  "unknown toleration operator": { object: pool({ tolerations: [{ key: "a", operator: "In" }] }), field: "spec.tolerations[0].operator" },
  "pool name longer than 63": { object: pool({}, "p".repeat(64)), field: "metadata.name" },
  "start task without commandLine": { object: pool({ startTask: { waitForSuccess: true } }), field: "spec.startTask.commandLine" },
  "start task maxTaskRetryCount -2": { object: pool({ startTask: { commandLine: "x", maxTaskRetryCount: -2 } }), field: "spec.startTask.maxTaskRetryCount" },
  "start task maxTaskRetryCount 101": { object: pool({ startTask: { commandLine: "x", maxTaskRetryCount: 101 } }), field: "spec.startTask.maxTaskRetryCount" },
  "resource file with two sources": {
    object: startTaskFile({ httpUrl: "http://x/a", storageContainerUrl: "http://x/c", filePath: "a" }),
    field: "spec.startTask.resourceFiles[0]",
  },
  "resource file without a source": { object: startTaskFile({ filePath: "a" }), field: "spec.startTask.resourceFiles[0]" },
  "resource file httpUrl without filePath": { object: startTaskFile({ httpUrl: "http://x/a" }), field: "spec.startTask.resourceFiles[0].filePath" },
  "resource file blobPrefix with httpUrl": {
    object: startTaskFile({ httpUrl: "http://x/a", filePath: "a", blobPrefix: "b" }),
    field: "spec.startTask.resourceFiles[0].blobPrefix",
  },
  "resource file escaping the working directory": {
    object: startTaskFile({ autoStorageContainerName: "app", filePath: "../etc" }),
    field: "spec.startTask.resourceFiles[0].filePath",
  },
  "resource file with an absolute filePath": {
    object: startTaskFile({ autoStorageContainerName: "app", filePath: "/etc/passwd" }),
    field: "spec.startTask.resourceFiles[0].filePath",
  },
  "resource file with an ftp URL": { object: startTaskFile({ httpUrl: "ftp://x/a", filePath: "a" }), field: "spec.startTask.resourceFiles[0].httpUrl" },
  "resource file with a bad container name": {
    object: startTaskFile({ autoStorageContainerName: "My--Container" }),
    field: "spec.startTask.resourceFiles[0].autoStorageContainerName",
  },
  "resource file with a decimal fileMode": { object: startTaskFile({ autoStorageContainerName: "app", fileMode: "0999" }), field: "spec.startTask.resourceFiles[0].fileMode" },
  "job without poolInfo": { object: manifest("Job", "j", { priority: 1 }), field: "spec.poolInfo" },
  "job priority 1001": { object: job({ priority: 1001 }), field: "spec.priority" },
  "job priority -1001": { object: job({ priority: -1001 }), field: "spec.priority" },
  "job priority not an integer": { object: job({ priority: 1.5 }), field: "spec.priority" },
  "job with both poolId and autoPoolSpecification": {
    object: job({ poolInfo: { poolId: "p", autoPoolSpecification: { pool: { vmSize: "small" } } } }),
    field: "spec.poolInfo",
  },
  "job preparation task with containerSettings": { object: job({ jobPreparationTask: { commandLine: "/bin/true", containerSettings: { imageName: "busybox" } } }), field: "spec.jobPreparationTask.containerSettings" },
  "container task with a job token": { object: task({ containerSettings: { imageName: "busybox" }, authenticationTokenSettings: { access: ["job"] } }), field: "spec.authenticationTokenSettings" },
  "job manager container task with a job token": {
    object: job({ jobManagerTask: { id: "jm", commandLine: "/bin/true", containerSettings: { imageName: "busybox" }, authenticationTokenSettings: { access: ["job"] } } }),
    field: "spec.jobManagerTask.authenticationTokenSettings",
  },
  "a named user account": { object: task({ userIdentity: { userName: "alice" } }), field: "spec.userIdentity.userName" },
  "a named user account on a release task": { object: job({ jobReleaseTask: { commandLine: "/bin/true", userIdentity: { userName: "alice" } } }), field: "spec.jobReleaseTask.userIdentity.userName" },
  "an unknown auto user scope": { object: task({ userIdentity: { autoUser: { scope: "node" } } }), field: "spec.userIdentity.autoUser.scope" },
  "a container task with a userIdentity": { object: task({ containerSettings: { imageName: "busybox" }, userIdentity: { autoUser: { elevationLevel: "admin" } } }), field: "spec.userIdentity" },
  "job token access other than job": { object: task({ authenticationTokenSettings: { access: ["pool"] } }), field: "spec.authenticationTokenSettings.access[0]" },
  "job release task with containerSettings": { object: job({ jobReleaseTask: { commandLine: "/bin/true", containerSettings: { imageName: "busybox" } } }), field: "spec.jobReleaseTask.containerSettings" },
  "job preparation task with a retentionTime": { object: job({ jobPreparationTask: { commandLine: "/bin/true", constraints: { retentionTime: "PT1H" } } }), field: "spec.jobPreparationTask.constraints.retentionTime" },
  "job release task with a retentionTime": { object: job({ jobReleaseTask: { commandLine: "/bin/true", retentionTime: "P1D" } }), field: "spec.jobReleaseTask.retentionTime" },
  "job with an empty poolInfo": { object: job({ poolInfo: {} }), field: "spec.poolInfo" },
  "job with an upper-case poolId": { object: job({ poolInfo: { poolId: "OCR" } }), field: "spec.poolInfo.poolId" },
  "job maxParallelTasks 0": { object: job({ maxParallelTasks: 0 }), field: "spec.maxParallelTasks" },
  "job maxTaskRetryCount -5": { object: job({ constraints: { maxTaskRetryCount: -5 } }), field: "spec.constraints.maxTaskRetryCount" },
  "unknown onAllTasksComplete": { object: job({ onAllTasksComplete: "Terminate" }), field: "spec.onAllTasksComplete" },
  "unknown disableTasks": { object: job({ disableTasks: "Kill" }), field: "spec.disableTasks" },
  "auto pool with taskSlotsPerNode 300": {
    object: job({ poolInfo: { autoPoolSpecification: { pool: { vmSize: "small", taskSlotsPerNode: 300 } } } }),
    field: "spec.poolInfo.autoPoolSpecification.pool.taskSlotsPerNode",
  },
  "auto pool with neither vmSize nor resources": {
    object: job({ poolInfo: { autoPoolSpecification: { pool: { targetDedicatedNodes: 1 } } } }),
    field: "spec.poolInfo.autoPoolSpecification.pool",
  },
  "job manager task resource file with two sources": {
    object: job({ jobManagerTask: { id: "m", commandLine: "x", resourceFiles: [{ httpUrl: "http://x/a", autoStorageContainerName: "app", filePath: "a" }] } }),
    field: "spec.jobManagerTask.resourceFiles[0]",
  },
  "job manager task without id": { object: job({ jobManagerTask: { commandLine: "x" } }), field: "spec.jobManagerTask.id" },
  "job name longer than 63": { object: job({}, "j".repeat(64)), field: "metadata.name" },
  "task without commandLine": { object: taskRaw({ jobName: "j" }), field: "spec.commandLine" },
  "task with an empty commandLine": { object: task({ commandLine: "" }), field: "spec.commandLine" },
  "task commandLine as a list": { object: task({ commandLine: ["/bin/echo", "hi"] }), field: "spec.commandLine" },
  "task without jobName": { object: taskRaw({ commandLine: "x" }), field: "spec.jobName" },
  "task with jobName and a different jobId": { object: task({ jobId: "other" }), field: "spec.jobId" },
  "task requiredSlots 0": { object: task({ requiredSlots: 0 }), field: "spec.requiredSlots" },
  "task id with a dot": { object: task({ id: "page.1" }), field: "spec.id" },
  "task maxTaskRetryCount 1000": { object: task({ constraints: { maxTaskRetryCount: 1000 } }), field: "spec.constraints.maxTaskRetryCount" },
  "task negative maxWallClockTime": { object: task({ constraints: { maxWallClockTime: "-5s" } }), field: "spec.constraints.maxWallClockTime" },
  "task exit code range backwards": {
    object: task({ exitConditions: { exitCodeRanges: [{ start: 5, end: 1, exitOptions: {} }] } }),
    field: "spec.exitConditions.exitCodeRanges[0].end",
  },
  "task unknown jobAction": { object: task({ exitConditions: { default: { jobAction: "Stop" } } }), field: "spec.exitConditions.default.jobAction" },
  "task unknown uploadCondition": {
    object: task({
      outputFiles: [{ filePattern: "*.txt", destination: { container: { containerUrl: "http://x/c" } }, uploadOptions: { uploadCondition: "Always" } }],
    }),
    field: "spec.outputFiles[0].uploadOptions.uploadCondition",
  },
  "task output file with an absolute pattern (the node's token)": {
    object: task({ outputFiles: [{ filePattern: "/var/run/secrets/kubernetes.io/serviceaccount/token", destination: { container: { containerUrl: "http://x/c" } } }] }),
    field: "spec.outputFiles[0].filePattern",
  },
  "task output file pattern climbing out of the task's directory": {
    object: task({ outputFiles: [{ filePattern: "../../../shared/*", destination: { container: { containerUrl: "http://x/c" } } }] }),
    field: "spec.outputFiles[0].filePattern",
  },
  "task output file pattern with '..' inside": {
    object: task({ outputFiles: [{ filePattern: "out/../../x", destination: { container: { containerUrl: "http://x/c" } } }] }),
    field: "spec.outputFiles[0].filePattern",
  },
  "task output file without destination": { object: task({ outputFiles: [{ filePattern: "*.txt" }] }), field: "spec.outputFiles[0].destination" },
  "task dependency range backwards": { object: task({ dependsOn: { taskIdRanges: [{ start: 9, end: 3 }] } }), field: "spec.dependsOn.taskIdRanges[0].end" },
  "task dependency range over every int32 id": {
    object: task({ dependsOn: { taskIdRanges: [{ start: 0, end: 2147483647 }] } }),
    field: "spec.dependsOn.taskIdRanges[0].end",
  },
  "task dependency range past int32": { object: task({ dependsOn: { taskIdRanges: [{ start: 1, end: 2147483648 }] } }), field: "spec.dependsOn.taskIdRanges[0].end" },
  "task depending on itself by metadata.name": { object: task({ dependsOn: { taskIds: ["a", "t"] } }), field: "spec.dependsOn.taskIds" },
  "task depending on itself by spec.id": { object: task({ id: "me", dependsOn: { taskIds: ["me"] } }, "other"), field: "spec.dependsOn.taskIds" },
  "task inside its own dependency range": { object: task({ dependsOn: { taskIdRanges: [{ start: 1, end: 3 }, { start: 5, end: 9 }] } }, "7"), field: "spec.dependsOn.taskIdRanges" },
  "task dependency on a bad id": { object: task({ dependsOn: { taskIds: ["a b"] } }), field: "spec.dependsOn.taskIds[0]" },
  "task environment over 1 MiB in all (32 values of 32 KiB and their names)": { object: task({ environmentSettings: bigEnvironment(32) }), field: "spec.environmentSettings" },
  "job common environment over 1 MiB in all": { object: job({ commonEnvironmentSettings: bigEnvironment(33) }), field: "spec.commonEnvironmentSettings" },
  "task environment name with '='": { object: task({ environmentSettings: [{ name: "A=B", value: "c" }] }), field: "spec.environmentSettings[0].name" },
  "task container without imageName": { object: task({ containerSettings: { workingDirectory: "TaskWorkingDirectory" } }), field: "spec.containerSettings.imageName" },
  "task resource file with two sources": {
    object: task({ resourceFiles: [{ storageContainerUrl: "http://x/c", autoStorageContainerName: "app" }] }),
    field: "spec.resourceFiles[0]",
  },
  "collection of 10,000,001 numbers": { object: collection({ source: { range: { start: 0, end: 10_000_000 } } }), field: "spec.source.range.end" },
  "collection range whose end precedes its start": { object: collection({ source: { range: { start: 5, end: 1 } } }), field: "spec.source.range.end" },
  "collection range past int32": { object: collection({ source: { range: { start: 2147483640, end: 2147483648 } } }), field: "spec.source.range.end" },
  "collection range below 0": { object: collection({ source: { range: { start: -1, end: 1 } } }), field: "spec.source.range.start" },
  "collection with two sources": { object: collection({ source: { range: { start: 0, end: 1 }, items: ["a"] } }), field: "spec.source" },
  "collection without a source": { object: collection({ source: {} }), field: "spec.source" },
  "collection of 10,001 listed items": { object: collection({ source: { items: Array.from({ length: 10_001 }, (_, i) => String(i)) } }), field: "spec.source.items" },
  "collection item over 1024 characters": { object: collection({ source: { items: ["x".repeat(1025)] } }), field: "spec.source.items[0]" },
  "collection items over 1 MiB in all": { object: collection({ source: { items: Array.from({ length: 1025 }, () => "x".repeat(1024)) } }), field: "spec.source.items" },
  "collection blobs in an ftp container": { object: collection({ source: { blobs: { containerUrl: "ftp://x/c" } } }), field: "spec.source.blobs.containerUrl" },
  "collection without jobName": { object: collectionRaw({ source: { items: ["a"] }, task: { commandLine: "echo {}" } }), field: "spec.jobName" },
  "collection without a task": { object: collectionRaw({ jobName: "j", source: { items: ["a"] } }), field: "spec.task" },
  "collection with an unknown placeholder in commandLine": { object: template({ commandLine: "ocr.sh {nmae}" }), field: "spec.task.commandLine" },
  "collection with an unknown placeholder after an odd run of braces": { object: template({ commandLine: "echo {{{nmae}" }), field: "spec.task.commandLine" },
  "collection with an unknown placeholder in an env value": {
    object: template({ environmentSettings: [{ name: "A", value: "{index}" }, { name: "B", value: "{idx}" }] }),
    field: "spec.task.environmentSettings[1].value",
  },
  "collection with an unknown placeholder in an output file pattern": { object: template({ outputFiles: [output("out/{indx}.txt")] }), field: "spec.task.outputFiles[0].filePattern" },
  "collection with an unknown placeholder in an output path": {
    object: template({ outputFiles: [output("out.txt"), output("out.txt", "r/{Name}")] }),
    field: "spec.task.outputFiles[1].destination.container.path",
  },
  "collection using {blobUrl} over a range": { object: template({ commandLine: "curl -O {blobUrl}" }), field: "spec.task.commandLine" },
  "collection using {blobName} in an env value over items": {
    object: template({ environmentSettings: [{ name: "B", value: "{blobName}" }] }, { items: ["a"] }),
    field: "spec.task.environmentSettings",
  },
  "collection using {blobName} in an output path over a range": { object: template({ outputFiles: [output("o.txt", "{blobName}")] }), field: "spec.task.outputFiles" },
  "collection template with 101 env settings": {
    object: template({ environmentSettings: Array.from({ length: 101 }, (_, i) => ({ name: `E${i}`, value: "v" })) }),
    field: "spec.task.environmentSettings",
  },
  "collection template env value over 8 KiB": { object: template({ environmentSettings: [{ name: "A", value: "x".repeat(8193) }] }), field: "spec.task.environmentSettings[0].value" },
  "collection template with a retentionTime": { object: template({ constraints: { retentionTime: "PT1H" } }), field: "spec.task.constraints.retentionTime" },
  "collection template with containerSettings": { object: template({ containerSettings: { imageName: "busybox" } }), field: "spec.task.containerSettings" },
  "collection template exit code range backwards": {
    object: template({ exitConditions: { exitCodeRanges: [{ start: 5, end: 1, exitOptions: {} }] } }),
    field: "spec.task.exitConditions.exitCodeRanges[0].end",
  },
  "collection template resource file with two sources": {
    object: template({ resourceFiles: [{ httpUrl: "http://x/a", storageContainerUrl: "http://x/c", filePath: "a" }] }),
    field: "spec.task.resourceFiles[0]",
  },
  "collection with a dotted name and no idPrefix": { object: collection({}, "sweep.v1"), field: "spec.idPrefix" },
  "collection with a 57-character name and no idPrefix": { object: collection({}, "c".repeat(57)), field: "spec.idPrefix" },
  "collection idPrefix of 57 characters": { object: collection({ idPrefix: "p".repeat(57) }), field: "spec.idPrefix" },
  "collection idPrefix with a dot": { object: collection({ idPrefix: "a.b" }), field: "spec.idPrefix" },
  "collection items depending on its own item": { object: collection({ dependsOn: { taskIds: ["setup", "c-5"] } }), field: "spec.dependsOn.taskIds" },
  "collection items depending on an item of its idPrefix": { object: collection({ idPrefix: "run-a", dependsOn: { taskIds: ["run-a-0"] } }), field: "spec.dependsOn.taskIds" },
  "collection items depending on the collection (taskCollections)": { object: collection({ dependsOn: { taskCollections: [{ name: "other" }, { name: "c" }] } }), field: "spec.dependsOn.taskCollections" },
  "task depending on collection items backwards": { object: task({ dependsOn: { taskCollections: [{ name: "sweep", start: 9, end: 3 }] } }), field: "spec.dependsOn.taskCollections[0].end" },
  "collection dependency range backwards": { object: collection({ dependsOn: { taskIdRanges: [{ start: 9, end: 3 }] } }), field: "spec.dependsOn.taskIdRanges[0].end" },
  "work item without jobSpecification": { object: manifest("WorkItem", "w", { metadata: [] }), field: "spec.jobSpecification" },
  "work item recurrence in words": { object: workItem({ schedule: { recurrenceInterval: "every day" } }), field: "spec.schedule.recurrenceInterval" },
  "work item doNotRunUntil not a time": { object: workItem({ schedule: { doNotRunUntil: "tomorrow" } }), field: "spec.schedule.doNotRunUntil" },
  "work item job priority 5000": { object: workItem({ jobSpecification: { poolInfo: { poolId: "p" }, priority: 5000 } }), field: "spec.jobSpecification.priority" },
  "work item job with two pools": {
    object: workItem({ jobSpecification: { poolInfo: { poolId: "p", autoPoolSpecification: { pool: { vmSize: "s" } } } } }),
    field: "spec.jobSpecification.poolInfo",
  },
  "work item name longer than 48": { object: workItem({}, "w".repeat(49)), field: "metadata.name" },
};
