// The job token controller: keys are jobs. A job whose job manager task asks for a token, and
// the job of a task or collection that asks for one, is looked at on its events; a job event
// of such a job (it completed, it was deleted) brings the revocation.
import { wantsJobToken } from "../../../api/job-token.ts";
import type { Controller, Queue } from "../controller/watches.ts";
import type { JobTokens } from "./reconciler.ts";
import { jobNameOf } from "../../../api/job-name.ts";

export function jobTokenController(deps: { tokens: JobTokens; queue: Queue }): Controller {
  const { tokens, queue } = deps;
  const asked = (namespace: string | undefined, job: string | undefined) => {
    if (!namespace || !job) return;
    tokens.request(`${namespace}/${job}`);
    queue.add(`${namespace}/${job}`);
  };
  return {
    name: "jobtoken",
    workers: 1,
    reconcile: tokens.reconcile,
    watches: {
      jobs: (_kind, { obj, key }) => tokens.wanted(obj, key) && queue.add(key),
      tasks: (kind, { obj }) => {
        if (kind !== "delete" && !obj.spec?.containerSettings && wantsJobToken(obj.spec?.authenticationTokenSettings)) asked(obj.metadata?.namespace, jobNameOf(obj.spec));
      },
      collections: (kind, obj) => {
        if (kind !== "delete" && wantsJobToken(obj.spec?.task?.authenticationTokenSettings)) asked(obj.metadata?.namespace, jobNameOf(obj.spec));
      },
    },
  };
}
