// Azure Batch's userIdentity in Kubernetes terms: on a pool with separateTaskUsers the node pod's
// `tasks` container runs its runner as root (bounded capabilities) and each task as the user
// its identity names — a uid of its own by default, as Azure runs a task as "a
// non-administrative user unique to the Task"; on any other pool every task runs as the node
// pod's user, and a task that names an identity fails saying so (task-runner/src/runner/task-users.ts).
import { z } from "zod";
import { refusedWithContainer } from "./container-settings.ts";
import { withRules, type CrossFieldRule } from "./rules.ts";

const userIdentityObject = z
  .strictObject({
    userName: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("A named user account of the pool (Azure's userAccounts): not supported yet, refused; use autoUser."),
    autoUser: z
      .strictObject({
        scope: z
          .enum(["task", "pool"])
          .default("pool")
          .describe("task: a user of the task's own, which no other task shares; pool (default): one user for every task of the pool that says pool."),
        elevationLevel: z.enum(["nonadmin", "admin"]).default("nonadmin").describe("admin: root in the node pod's tasks container (its capabilities); nonadmin (default): an unprivileged user."),
      })
      .optional()
      .describe("A user the node makes for the task (Azure AutoUserSpecification)."),
  });

export const userIdentityRules: CrossFieldRule<z.output<typeof userIdentityObject>>[] = [
  {
    rule: "!has(self.userName)",
    message: "userName: named user accounts (the pool's userAccounts) are not supported yet; use autoUser",
    fieldPath: ".userName",
    holds: (s) => s.userName === undefined,
  },
];

export const userIdentitySchema = withRules(userIdentityObject, userIdentityRules)
  .describe(
    "Who the task runs as (Azure userIdentity); honoured on pools with separateTaskUsers. Without it a task there runs as a non-admin user of its own; on other pools every task runs as the node pod's user, and a task that sets this fails with UserIdentityUnavailable.",
  );

export type UserIdentity = z.infer<typeof userIdentitySchema>;

/** The rule refusing a userIdentity on a container task (it runs as its image's user). */
export const containerUserRule = <T extends { containerSettings?: unknown; userIdentity?: unknown }>() =>
  refusedWithContainer<T>("userIdentity", "a container task (containerSettings) runs as its image's user; userIdentity is for tasks run on the pool's nodes");
