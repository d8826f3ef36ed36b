// `kubatch task …` and `kubatch job …`: each subcommand's module loads only when it runs.
import { runGroup, type Subcommand } from "./usage.ts";

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
  output: {
    about: "print the tail of a task's stdout or stderr (of a collection item: a failed one's stderr)",
    load: async () => import("./task-output.ts").then((m) => ({ help: m.taskOutputHelp, run: m.taskOutput })),
  },
};

const jobCommands: Record<string, Subcommand> = {
  wait: {
    about: "wait for all of a job's tasks to complete, with a progress bar",
    load: async () => import("./job-wait.ts").then((m) => ({ help: m.jobWaitHelp, run: m.jobWait })),
  },
  status: {
    about: "a job's state, task counts and conditions",
    load: async () => import("./job-status.ts").then((m) => ({ help: m.jobStatusHelp, run: m.jobStatus })),
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
  autoscale: {
    about: "evaluate an autoscale formula against the pool now (dry run)",
    load: async () => import("./pool-autoscale.ts").then((m) => ({ help: m.poolAutoscaleHelp, run: m.poolAutoscale })),
  },
};

export const poolCommand = (argv: string[]) => runGroup("pool", poolCommands, argv);
export const taskCommand = (argv: string[]) => runGroup("task", taskCommands, argv);
export const jobCommand = (argv: string[]) => runGroup("job", jobCommands, argv);
