// Who a task runs as (Azure Batch userIdentity, api/user-identity.ts), decided by the runner in
// the node pod's `tasks` container, pure. On a pool with separateTaskUsers the runner is root
// and starts each process as:
// - admin (either scope): root — of this container, with its capabilities only;
// - nonadmin, scope pool (the autoUser default; also the start task's user, as in Azure):
//   poolUserId, shared by every such task of the node;
// - nonadmin, scope task, and a task with no userIdentity ("a non-administrative user unique to
//   the Task"): a uid of its own, never one a running task has.
// These uids have no /etc/passwd entry: tools that look up their name may say so.
// On other pools every task runs as the runner's own user, and one that names an identity is
// refused rather than run as someone else than it asked.
import type { UserIdentity } from "../../../api/user-identity.ts";

export type ProcessUser = { uid: number; gid: number };

/** Azure's pool-scope non-admin auto user. */
export const poolUserId = 20_000;
/** Task-scope users: uids from here on, one per run. */
export const firstTaskUserId = 100_000;
export const taskUserIdCount = 800_000;

export type TaskUserChoice = { user?: ProcessUser } | { refused: string };

export function taskUser(identity: UserIdentity | undefined, opts: { separate: boolean; poolId: string; nextTaskUid: () => number }): TaskUserChoice {
  if (!opts.separate) {
    return identity
      ? { refused: `userIdentity: pool ${opts.poolId} runs every task as its node pods' user; set the pool's separateTaskUsers to true to run tasks as the users they name` }
      : {};
  }
  const auto = identity?.autoUser;
  if (auto?.elevationLevel === "admin") return { user: { uid: 0, gid: 0 } };
  if (auto?.scope === "pool") return { user: { uid: poolUserId, gid: poolUserId } };
  const uid = opts.nextTaskUid();
  return { user: { uid, gid: uid } };
}

/**
 * Hands out task-scope uids in turn from a random start (a restarted runner does not begin
 * where its predecessor's tasks, whose folders may not have been handed back, began), skipping
 * those of runs still going.
 */
export function taskUids(start = Math.floor(Math.random() * taskUserIdCount)): { next: () => number; release: (uid: number) => void } {
  let n = start;
  const inUse = new Set<number>();
  return {
    next: () => {
      for (;;) {
        const uid = firstTaskUserId + (n++ % taskUserIdCount);
        if (!inUse.has(uid)) {
          inUse.add(uid);
          return uid;
        }
      }
    },
    release: (uid) => void inUse.delete(uid),
  };
}
