// Container tasks (spec.containerSettings): one Pod per attempt, owned by the Task, labelled
// kubatch.dev/task; keyed by the task, fed by the Task and Pod informers and by job changes.
import type { Controller, Queue } from "../controller/watches.ts";
import { makeContainerTasks, type ContainerTaskDeps } from "./reconciler.ts";

export function containerTaskController(deps: Omit<ContainerTaskDeps, "enqueue"> & { queue: Queue }): Controller {
  const containerTasks = makeContainerTasks({ ...deps, enqueue: (key) => deps.queue.add(key) });
  return {
    name: "containertask",
    workers: 4,
    reconcile: containerTasks.reconcile,
    watches: {
      jobs: (kind, { key, wasSchedulable }) => {
        if (kind === "delete") return;
        // The job reconciler may have marked it unschedulable already: look while it is not Active.
        const schedulable = deps.state.jobs.get(key)?.schedulable;
        if (!schedulable || schedulable !== wasSchedulable) containerTasks.onJob(key);
      },
      tasks: (kind, { entry, before }) => containerTasks.onTask(kind, entry, before),
      taskPods: (kind, pod) => containerTasks.onPod(kind, pod),
    },
  };
}
