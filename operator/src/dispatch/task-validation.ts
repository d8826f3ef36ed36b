// The full schema check of a task, once per generation (tasks are many; the scheduler reads
// them unparsed, task-entry.ts). A task the API server could not refuse but the operator
// cannot run gets a Schedulable=False condition and an event, and is never scheduled.
import { GROUP, VERSION } from "../../../api/group.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parseTask, taskNames } from "../../../api/task.ts";
import type { Writer } from "../../../kube/apply.ts";
import { errorMessage } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { TaskObject } from "../../../kube/objects.ts";

export type TaskValidation = { invalid(obj: TaskObject): boolean; forget(obj: TaskObject): void };

export function makeTaskValidation(deps: { events: EventRecorder; writer: Writer; log: (line: string) => void }): TaskValidation {
  const validated = new Map<string, { generation: number; problems?: string }>();
  return {
    invalid(obj) {
      const uid = obj.metadata?.uid ?? "";
      const generation = obj.metadata?.generation ?? 0;
      const seen = validated.get(uid);
      if (seen?.generation === generation) return seen.problems !== undefined;
      const parsed = parseTask(obj);
      const problems = parsed.ok ? undefined : formatProblems(parsed.problems);
      validated.set(uid, { generation, problems });
      if (problems) {
        deps.events.record(obj, "Warning", "InvalidSpec", problems);
        const ref = { group: GROUP, version: VERSION, plural: taskNames.plural, namespace: obj.metadata!.namespace!, name: obj.metadata!.name! };
        const conditions = [{ type: "Schedulable", status: "False", reason: "InvalidSpec", message: problems, observedGeneration: generation, lastTransitionTime: new Date().toISOString() }];
        deps.writer.patchStatus(ref, obj.status?.conditions, { conditions }).catch((err: unknown) => deps.log(`task ${ref.namespace}/${ref.name}: ${errorMessage(err)}`));
      }
      return problems !== undefined;
    },
    forget(obj) {
      validated.delete(obj.metadata?.uid ?? "");
    },
  };
}
