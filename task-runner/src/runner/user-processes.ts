// What a task-scope user left running when its task ended (a daemon that left the process
// group, which the runner stops): killed before its folder is handed back, so nothing of that
// user outlives the task, races the walk or meets a later task. Only for a task's own uid:
// the pool user and root are shared.
import { readdir, readFile } from "node:fs/promises";

/** The real uid of process `pid` from /proc (undefined when it is gone). */
async function uidOf(pid: string, proc: string): Promise<number | undefined> {
  const status = await readFile(`${proc}/${pid}/status`, "utf8").catch(() => undefined);
  const line = status?.split("\n").find((l) => l.startsWith("Uid:"));
  return line === undefined ? undefined : Number(line.split(/\s+/)[1]);
}

/** SIGKILLs every process whose real uid is `uid`; returns how many. */
export async function killUserProcesses(uid: number, proc = "/proc"): Promise<number> {
  let killed = 0;
  // Twice: a process may fork between the scan and the kill.
  for (let pass = 0; pass < 2; pass++) {
    for (const pid of (await readdir(proc)).filter((e) => /^\d+$/.test(e))) {
      if ((await uidOf(pid, proc)) !== uid) continue;
      try {
        process.kill(Number(pid), "SIGKILL");
        killed++;
      } catch {
        // Gone already.
      }
    }
  }
  return killed;
}
