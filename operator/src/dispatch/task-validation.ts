// The full schema check of a task, once per generation (tasks are many; the scheduler reads
// them unparsed, task-entry.ts). A task the API server could not refuse but the operator
// cannot run gets a Schedulable=False condition and an event, and is never scheduled. The
// write is decided from the cached condition at each of the task's events: none when it
// already says so (an operator restart writes nothing), again after a write that failed.
import { GROUP, VERSION } from "../../../api/group.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parseTask, taskNames } from "../../../api/task.ts";
import type { Writer } from "../../../kube/apply.ts";
import { errorMessage, isConflictOrGone } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { TaskObject } from "../../../kube/objects.ts";
import { invalidSpecReported, reportInvalidSpec } from "../controller/invalid-spec.ts";

export type TaskValidation = { invalid(obj: TaskObject): boolean; forget(obj: TaskObject): void };

export function makeTaskValidation(deps: { events: EventRecorder; writer: Writer; log: (line: string) => void; now?: () => Date }): TaskValidation {
  const now = deps.now ?? (() => new Date());
  const validated = new Map<string, { generation: number; problems?: string }>();
  const problemsOf = (obj: TaskObject): string | undefined => {
    const uid = obj.metadata?.uid ?? "";
    const generation = obj.metadata?.generation ?? 0;
    const seen = validated.get(uid);
    if (seen?.generation === generation) return seen.problems;
    const parsed = parseTask(obj);
    const problems = parsed.ok ? undefined : formatProblems(parsed.problems);
    validated.set(uid, { generation, problems });
    return problems;
  };
  return {
    invalid(obj) {
      const problems = problemsOf(obj);
      if (problems === undefined) return false;
      const at = now();
      if (!invalidSpecReported(obj, "Schedulable", problems, at)) {
        // With the resourceVersion the decision was made from: the whole status is written back.
        const ref = { group: GROUP, version: VERSION, plural: taskNames.plural, namespace: obj.metadata!.namespace!, name: obj.metadata!.name!, resourceVersion: obj.metadata?.resourceVersion };
        reportInvalidSpec(deps, obj, ref, "Schedulable", problems, at).catch((err: unknown) => {
          if (!isConflictOrGone(err)) deps.log(`task ${ref.namespace}/${ref.name}: ${errorMessage(err)}`);
        });
      }
      return true;
    },
    forget(obj) {
      validated.delete(obj.metadata?.uid ?? "");
    },
  };
}
