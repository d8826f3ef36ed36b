// `kubatch task|job|pool|node …`: each subcommand's module loads only when it runs.
import { runGroup, type Subcommand } from "./usage.ts";

const taskFileCommands: Record<string, Subcommand> = {
  list: {
    about: "list the files of a task's folder on its node: stdout.txt, stderr.txt, wd/",
    load: async () => import("./task-files.ts").then((m) => ({ help: m.taskFileListHelp, run: m.taskFileList })),
  },
  get: {
    about: "download one whole file of a task's folder from its node",
    load: async () => import("./task-files.ts").then((m) => ({ help: m.taskFileGetHelp, run: m.taskFileGet })),
  },
};

const taskCommands: Record<string, Subcommand> = {
  add: {
    about: "add tasks in bulk: one per blob, per file or per number",
    load: async () => import("./task-add.ts").then((m) => ({ help: m.taskAddHelp, run: m.taskAdd })),
  },
  list: {
    about: "list a job's tasks (and its collections' failed items): state, node, exit code, retries, duration",
    load: async () => import("./task-list.ts").then((m) => ({ help: m.taskListHelp, run: m.taskList })),
  },
  reactivate: {
    about: "run a failed task again (Azure Batch reactivate)",
    load: async () => import("./task-reactivate.ts").then((m) => ({ help: m.taskReactivateHelp, run: m.taskReactivate })),
  },
  terminate: {
    about: "stop a task and complete it as failed, keeping its record (Azure Batch terminate task)",
    load: async () => import("./task-terminate.ts").then((m) => ({ help: m.taskTerminateHelp, run: m.taskTerminate })),
  },
  output: {
    about: "print the tail of a task's stdout or stderr (of a collection item: a failed one's stderr)",
    load: async () => import("./task-output.ts").then((m) => ({ help: m.taskOutputHelp, run: m.taskOutput })),
  },
  file: { about: "a task's files on its node, whole (list|get)", commands: taskFileCommands },
};

const jobCommands: Record<string, Subcommand> = {
  list: {
    about: "list the namespace's jobs: state, pool, priority, task counts",
    load: async () => import("./resource-lists.ts").then((m) => ({ help: m.jobListHelp, run: m.jobList })),
  },
  wait: {
    about: "wait for all of a job's tasks to complete, with a progress bar",
    load: async () => import("./job-wait.ts").then((m) => ({ help: m.jobWaitHelp, run: m.jobWait })),
  },
  status: {
    about: "a job's state, task counts and conditions",
    load: async () => import("./job-status.ts").then((m) => ({ help: m.jobStatusHelp, run: m.jobStatus })),
  },
  stats: {
    about: "a job's statistics: wall clock, task counts and retries, wait and run times",
    load: async () => import("./job-statistics.ts").then((m) => ({ help: m.jobStatsHelp, run: m.jobStats })),
  },
  disable: {
    about: "stop a job's tasks from starting; requeue, terminate or wait for running ones",
    load: async () => import("./job-control.ts").then((m) => ({ help: m.jobDisableHelp, run: m.jobDisable })),
  },
  enable: {
    about: "let a disabled job's tasks start again",
    load: async () => import("./job-control.ts").then((m) => ({ help: m.jobEnableHelp, run: m.jobEnable })),
  },
  terminate: {
    about: "end a job: stop its running tasks, complete it with a reason",
    load: async () => import("./job-control.ts").then((m) => ({ help: m.jobTerminateHelp, run: m.jobTerminate })),
  },
};

const poolCommands: Record<string, Subcommand> = {
  list: {
    about: "list the namespace's pools: allocation state, nodes now and targeted, idle and running",
    load: async () => import("./resource-lists.ts").then((m) => ({ help: m.poolListHelp, run: m.poolList })),
  },
  autoscale: {
    about: "evaluate an autoscale formula against the pool now (dry run)",
    load: async () => import("./pool-autoscale.ts").then((m) => ({ help: m.poolAutoscaleHelp, run: m.poolAutoscale })),
  },
};

const workItemCommands: Record<string, Subcommand> = {
  list: {
    about: "list the namespace's work items: state, next run, recent job",
    load: async () => import("./resource-lists.ts").then((m) => ({ help: m.workItemListHelp, run: m.workItemList })),
  },
  disable: {
    about: "stop a work item from creating jobs (its active job runs on)",
    load: async () => import("./work-item-control.ts").then((m) => ({ help: m.workItemDisableHelp, run: m.workItemDisable })),
  },
  enable: {
    about: "let a disabled work item create jobs again",
    load: async () => import("./work-item-control.ts").then((m) => ({ help: m.workItemEnableHelp, run: m.workItemEnable })),
  },
  terminate: {
    about: "end a work item: terminate its active job, create no more",
    load: async () => import("./work-item-control.ts").then((m) => ({ help: m.workItemTerminateHelp, run: m.workItemTerminate })),
  },
};

const nodeCommands: Record<string, Subcommand> = {
  list: {
    about: "list a pool's nodes: state, scheduling, running tasks and slots, tasks run, the start task",
    load: async () => import("./resource-lists.ts").then((m) => ({ help: m.nodeListHelp, run: m.nodeList })),
  },
  "disable-scheduling": {
    about: "schedule no new task on a node; requeue, terminate or finish its running ones",
    load: async () => import("./node-scheduling.ts").then((m) => ({ help: m.nodeDisableSchedulingHelp, run: m.nodeDisableScheduling })),
  },
  "enable-scheduling": {
    about: "let tasks be scheduled on a node again",
    load: async () => import("./node-scheduling.ts").then((m) => ({ help: m.nodeEnableSchedulingHelp, run: m.nodeEnableScheduling })),
  },
  reimage: {
    about: "replace a node with a fresh one once its tasks are released (Azure Batch reimage)",
    load: async () => import("./node-reimage.ts").then((m) => ({ help: m.nodeReimageHelp, run: m.nodeReimage })),
  },
  remove: {
    about: "remove named nodes from their pool, lowering its target (Azure Batch remove nodes)",
    load: async () => import("./node-remove.ts").then((m) => ({ help: m.nodeRemoveHelp, run: m.nodeRemove })),
  },
};

/** The command groups, for `kubatch <group> <command>` and the top-level help (which names every command). */
export const groups: Record<string, { about: string; commands: Record<string, Subcommand> }> = {
  task: { about: "a job's tasks", commands: taskCommands },
  job: { about: "jobs and their progress", commands: jobCommands },
  pool: { about: "pools", commands: poolCommands },
  node: { about: "a pool's nodes", commands: nodeCommands },
  workitem: { about: "work items (job schedules)", commands: workItemCommands },
};

export const runCommandGroup = (group: string, argv: string[]) => runGroup(group, groups[group]!.commands, argv);
