// A node agent reads a Secret a task names only once the operator has granted it: the node
// Role lists the Secrets the namespace's tasks and jobs name, and is updated when a task names
// a new one — which may land (and reach the API server's authorizer) just after the task
// reached the node. So a refusal (403) is retried for a while before the task fails.
import { setTimeout as wait } from "node:timers/promises";
import { httpStatus } from "../../../kube/errors.ts";

export const grantWaitMs = 15_000;

export async function readGranted<T>(read: () => Promise<T>, opts: { waitMs?: number; sleep?: (ms: number) => Promise<unknown>; now?: () => number } = {}): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => wait(ms));
  const until = now() + (opts.waitMs ?? grantWaitMs);
  for (let delay = 250; ; delay = Math.min(2 * delay, 2_000)) {
    try {
      return await read();
    } catch (err) {
      if (httpStatus(err) !== 403 || now() + delay > until) throw err;
      await sleep(delay);
    }
  }
}
