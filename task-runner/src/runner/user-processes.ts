// What a task-scope user left running when its task ended (a daemon that left the process
// group, which the runner stops): killed before its folder is handed back, so nothing of that
// user outlives the task, races the hand-back or meets a later task. The kill is sent as that
// user — kill(-1, SIGKILL) reaches exactly the processes of its uid, with no scan of /proc a
// fork or a reused pid could slip past — by a short-lived Node process started as it (this
// runner's own executable, in any pool image). Only for a task's own uid: the pool user and
// root are shared.
import { spawn } from "node:child_process";
import type { ProcessUser } from "./task-users.ts";

// kill(-1) spares the caller; a second round takes what forked under the first.
const killAll = "for (let i = 0; i < 3; i++) { try { process.kill(-1, 'SIGKILL'); } catch { break; } }";

export function stopUserProcesses(user: ProcessUser): Promise<void> {
  if (user.uid === 0) return Promise.reject(new Error("refusing to kill every process of root"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", killAll], { uid: user.uid, gid: user.gid, stdio: "ignore", env: {} });
    child.once("error", reject);
    child.once("exit", () => resolve());
  });
}
