import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { clusterIdVar, clusterProcesses, isAlive, startDetached, stopAll } from "./processes.ts";

test("a process started with extra environment still carries the cluster's id, and stopAll stops it", async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), "kubatch-processes-"));
  const clusterId = logDir;
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  // An env that tries to move it to another cluster (or arms failpoints) changes nothing of its bookkeeping.
  const started = startDetached("sleeper", "sleep", ["30"], { clusterId, logDir, env: { [clusterIdVar]: "/elsewhere", KUBATCH_FAILPOINTS: "dispatch.after-assign=1" } });
  t.after(() => void (isAlive(started.pid) && process.kill(started.pid, "SIGKILL")));
  const environ = readFileSync(`/proc/${started.pid}/environ`, "latin1").split("\0");
  assert.ok(environ.includes("KUBATCH_FAILPOINTS=dispatch.after-assign=1"), "the extra env reached the process");
  assert.deepEqual(clusterProcesses(clusterId), [started.pid]);
  assert.deepEqual(clusterProcesses("/elsewhere").includes(started.pid), false);
  assert.equal(await stopAll(clusterId, 5_000), 1);
  assert.equal(isAlive(started.pid), false);
});
