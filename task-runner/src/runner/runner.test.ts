// The agent's launcher and the runner's server over a real Unix socket, with real processes:
// what the agent sees when the process exits, is stopped, or dies with the tasks container.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runnerLauncher, runnerUsage } from "./runner-client.ts";
import { serveRunner, type RunnerServer } from "./runner-server.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-runner-"));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => {};
let n = 0;

async function withRunner<T>(fn: (socket: string, server: RunnerServer, dir: string) => Promise<T>): Promise<T> {
  const dir = join(root, `r${n++}`);
  const socket = join(dir, "runner.sock");
  mkdirSync(dir, { recursive: true });
  const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH, RUNNER_ONLY: "image", KUBATCH_SECRET: "agent-only" }, log: quiet });
  try {
    return await fn(socket, server, dir);
  } finally {
    await server.close();
  }
}

/** A command line that writes its pid to `pidFile` and sleeps: a process to stop. */
const sleeper = (pidFile: string) => `/bin/sh -c 'echo $$ > ${pidFile}; exec sleep 30'`;
const pidIn = (pidFile: string) => Number(readFileSync(pidFile, "utf8"));
const started = (pidFile: string) => until(() => readFileSync(pidFile, "utf8").trim() !== "");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("runner", () => {
  test("runs the command with the runner's environment plus the task's, output in the task folder", () =>
    withRunner(async (socket, _server, dir) => {
      const launch = runnerLauncher(socket, { log: quiet });
      const r = await launch({ commandLine: `/bin/sh -c 'echo "$RUNNER_ONLY $TASK_VAR [$KUBATCH_SECRET]"; exit 3'`, cwd: join(dir, "wd"), outputDir: dir, env: { TASK_VAR: "task" } });
      assert.equal(r.exitCode, 3);
      assert.equal(r.failure, undefined);
      assert.ok(r.startTime instanceof Date && r.endTime >= r.startTime);
      assert.equal(readFileSync(join(dir, "stdout.txt"), "utf8"), "image task []\n");
    }));

  const failures: Array<{ name: string; commandLine: string; code: string; exitCode: number }> = [
    { name: "a command that does not exist", commandLine: "/no/such/program", code: "CommandNotFound", exitCode: 127 },
    { name: "an unbalanced quote", commandLine: "/bin/echo 'oops", code: "CommandLineInvalid", exitCode: 1 },
  ];
  for (const c of failures) {
    test(`reports ${c.name} as the runner saw it`, () =>
      withRunner(async (socket, _s, dir) => {
        const r = await runnerLauncher(socket, { log: quiet })({ commandLine: c.commandLine, cwd: dir, outputDir: dir, env: {} });
        assert.deepEqual([r.exitCode, r.failure?.code], [c.exitCode, c.code]);
      }));
  }

  test("the wall clock limit is kept by the runner", () =>
    withRunner(async (socket, _s, dir) => {
      const r = await runnerLauncher(socket, { log: quiet })({ commandLine: "/bin/sleep 30", cwd: dir, outputDir: dir, env: {}, maxWallClockMs: 200, killGraceMs: 200 });
      assert.equal(r.failure?.code, "MaxWallClockTimeExceeded");
      assert.ok(r.endTime.getTime() - r.startTime.getTime() < 10_000);
    }));

  test("aborting stops the process group in the tasks container", () =>
    withRunner(async (socket, _s, dir) => {
      const abort = new AbortController();
      const pidFile = join(dir, "pid");
      const running = runnerLauncher(socket, { log: quiet })({ commandLine: sleeper(pidFile), cwd: dir, outputDir: dir, env: {}, killGraceMs: 200, signal: abort.signal });
      await started(pidFile);
      abort.abort();
      const r = await running;
      assert.equal(r.signal, "SIGTERM");
      assert.equal(alive(pidIn(pidFile)), false);
    }));

  test("the agent's end (its connection closes) stops the process", () =>
    withRunner(async (socket, server, dir) => {
      const pidFile = join(dir, "pid");
      const conn = connect(socket);
      await new Promise((r) => conn.once("connect", r));
      conn.write(JSON.stringify({ commandLine: sleeper(pidFile), cwd: dir, outputDir: dir, env: {}, killGraceMs: 200 }) + "\n");
      await started(pidFile);
      conn.destroy();
      await until(() => server.running() === 0);
      assert.equal(alive(pidIn(pidFile)), false);
    }));

  // What the agent sees of the tasks container ending under a process: no result, the attempt Interrupted.
  const containerEnds: Array<{ name: string; end: (server: RunnerServer) => Promise<void> | void }> = [
    { name: "the runner killed with its container: its connections drop", end: (server) => server.sockets().forEach((c) => c.destroy()) },
    { name: "the runner stopping (its container ends)", end: (server) => server.close() },
  ];
  for (const c of containerEnds) {
    test(`${c.name}: no result, the attempt is Interrupted and the process stopped`, () =>
      withRunner(async (socket, server, dir) => {
        const pidFile = join(dir, "pid");
        const running = runnerLauncher(socket, { log: quiet })({ commandLine: sleeper(pidFile), cwd: dir, outputDir: dir, env: {}, killGraceMs: 200 });
        await started(pidFile);
        await c.end(server);
        const r = await running;
        assert.equal(r.failure?.code, "Interrupted");
        await until(() => server.running() === 0);
        assert.equal(alive(pidIn(pidFile)), false);
      }));
  }

  test("a runner that starts later is waited for", async () => {
    const dir = join(root, "late");
    const socket = join(dir, "runner.sock");
    const launched = runnerLauncher(socket, { log: quiet, retryMs: 20 })({ commandLine: "/bin/true", cwd: dir, outputDir: dir, env: {} });
    await new Promise((r) => setTimeout(r, 300));
    mkdirSync(dir, { recursive: true });
    const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: quiet });
    try {
      assert.equal((await launched).exitCode, 0);
    } finally {
      await server.close();
    }
  });

  test("a stop before the runner is reached starts nothing", async () => {
    const abort = new AbortController();
    const launched = runnerLauncher(join(root, "never", "runner.sock"), { log: quiet, retryMs: 20 })({ commandLine: "/bin/true", cwd: root, outputDir: root, env: {}, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    assert.equal((await launched).failure?.code, "Interrupted");
  });

  test("a malformed request is refused with a reason", () =>
    withRunner(async (socket) => {
      const conn = connect(socket);
      let answer = "";
      conn.on("data", (d) => (answer += d.toString()));
      await new Promise((r) => conn.once("connect", r));
      conn.write(JSON.stringify({ commandLine: 42 }) + "\n");
      await new Promise((r) => conn.once("close", r));
      assert.match(answer, /commandLine must be a string/);
    }));
});

async function until(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (ok()) return;
    } catch {
      // Not there yet.
    }
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("the runner answers a usage request with its container's cgroup, and nothing when it is not there", async () => {
  const dir = join(root, "usage");
  const cg = join(dir, "cgroup");
  mkdirSync(cg, { recursive: true });
  writeFileSync(join(cg, "cgroup.controllers"), "cpu memory io\n");
  writeFileSync(join(cg, "cpu.stat"), "usage_usec 4000000\n");
  writeFileSync(join(cg, "memory.current"), "1000\n");
  const socket = join(dir, "runner.sock");
  const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: quiet, cgroupRoot: cg });
  try {
    const usage = await runnerUsage(socket);
    assert.deepEqual({ ...usage, startedAt: undefined }, { cpuSeconds: 4, memoryBytes: 1000, diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0, startedAt: undefined });
    assert.ok(Date.parse(usage!.startedAt!) <= Date.now(), "the runner's start, which its counters began with");
  } finally {
    await server.close();
  }
  assert.equal(await runnerUsage(join(dir, "gone.sock"), 500), undefined);
});
