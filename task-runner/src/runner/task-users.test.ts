// Who a task runs as (pure, table), and on a real runner run as root (this machine's CI is) with
// real processes: a non-admin task cannot write the start task's folder or another running
// task's, an admin task is root, pool-scope tasks share one user, a folder is the node's again
// once its task ended, and a pool without separateTaskUsers refuses an identity.
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { UserIdentity } from "../../../api/user-identity.ts";
import { runnerLauncher } from "./runner-client.ts";
import { serveRunner } from "./runner-server.ts";
import { lockNodeFolders } from "./node-folders.ts";
import { firstTaskUserId, poolUserId, taskUids, taskUser, type TaskUserChoice } from "./task-users.ts";

describe("taskUser", () => {
  const next = () => 100_007;
  const cases: Record<string, { identity?: UserIdentity; separate: boolean; want: TaskUserChoice }> = {
    "no identity, shared users: the runner's own": { separate: false, want: {} },
    "an identity on a pool without separate users: refused, naming the setting": {
      identity: { autoUser: { scope: "task", elevationLevel: "nonadmin" } },
      separate: false,
      want: { refused: "userIdentity: pool p runs every task as its node pods' user; set the pool's separateTaskUsers to true to run tasks as the users they name" },
    },
    "no identity, separate users: a user of its own (Azure's default)": { separate: true, want: { user: { uid: 100_007, gid: 100_007 } } },
    "an empty identity: as none": { identity: {}, separate: true, want: { user: { uid: 100_007, gid: 100_007 } } },
    "task scope, non-admin: its own": { identity: { autoUser: { scope: "task", elevationLevel: "nonadmin" } }, separate: true, want: { user: { uid: 100_007, gid: 100_007 } } },
    "pool scope, non-admin: the pool user": { identity: { autoUser: { scope: "pool", elevationLevel: "nonadmin" } }, separate: true, want: { user: { uid: poolUserId, gid: poolUserId } } },
    "admin, task scope: root": { identity: { autoUser: { scope: "task", elevationLevel: "admin" } }, separate: true, want: { user: { uid: 0, gid: 0 } } },
    "admin, pool scope: root": { identity: { autoUser: { scope: "pool", elevationLevel: "admin" } }, separate: true, want: { user: { uid: 0, gid: 0 } } },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.deepEqual(taskUser(tc.identity, { separate: tc.separate, poolId: "p", nextTaskUid: next }), tc.want));

  it("task uids: never one in use, from the range, wrapping", () => {
    const uids = taskUids(799_999);
    const a = uids.next();
    const b = uids.next();
    assert.deepEqual([a, b], [firstTaskUserId + 799_999, firstTaskUserId]);
    uids.release(a);
    const many = new Set(Array.from({ length: 1000 }, () => uids.next()));
    assert.equal(many.size, 1000);
    assert.ok(!many.has(b), "a uid in use is skipped");
  });
});

const asRoot = process.getuid?.() === 0;

describe("a runner with separate task users (as root)", { skip: !asRoot && "needs root (set uid)" }, () => {
  const root = mkdtempSync(join(tmpdir(), "kubatch-users-"));
  // The node root is an emptyDir every container user can enter.
  chmodSync(root, 0o755);
  after(() => rmSync(root, { recursive: true, force: true }));
  // The node's layout as the agent leaves it: folders of the node user (65532), readable by all.
  const node = 65532;
  const mk = (path: string) => {
    mkdirSync(path, { recursive: true, mode: 0o755 });
    chownSync(path, node, node);
  };
  const jobDir = join(root, "workitems", "j", "job-1");
  const startup = join(root, "startup", "wd");
  for (const d of [join(root, "workitems"), join(root, "workitems", "j"), jobDir, join(root, "startup"), startup]) mk(d);
  writeFileSync(join(startup, "tool"), "installed\n");
  chownSync(join(startup, "tool"), node, node);

  const run = async (launch: ReturnType<typeof runnerLauncher>, id: string, commandLine: string, userIdentity?: UserIdentity) => {
    // The task's folder as the agent makes it; its working directory made by the runner (root), as when no resource files came first.
    mk(join(jobDir, id));
    return launch({ commandLine, cwd: join(jobDir, id, "wd"), outputDir: join(jobDir, id), env: {}, ...(userIdentity ? { userIdentity } : {}) });
  };
  const out = (id: string) => readFileSync(join(jobDir, id, "stdout.txt"), "utf8");

  it("each task its user; a non-admin one reaches neither the start task's folder nor a running task's; its folder is the node's after", async () => {
    const socket = join(root, "runner.sock");
    const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: () => undefined, separateUsers: true, poolId: "p" });
    try {
      const launch = runnerLauncher(socket, { log: () => undefined });
      // Only root and the node's group reach the socket: a task's user cannot ask for a process.
      const sock = statSync(socket);
      assert.deepEqual([sock.mode & 0o777, sock.gid], [0o660, statSync(root).gid]);
      // A running task that keeps a file in its working directory.
      const holder = run(launch, "holder", `/bin/sh -c 'echo mine > secret.txt; sleep 3'`);
      await new Promise((r) => setTimeout(r, 500));
      const probe = [
        "id -u",
        `cat ${join(startup, "tool")}`,
        `(echo x > ${join(startup, "mine")}) 2>/dev/null && echo wrote-startup || echo no-startup`,
        `cat ${join(jobDir, "holder", "wd", "secret.txt")} 2>/dev/null || echo no-read`,
        `(echo x > ${join(jobDir, "holder", "wd", "theirs")}) 2>/dev/null && echo wrote-other || echo no-other`,
        "echo own > own.txt && chmod 000 own.txt && echo wrote-own",
      ].join("; ");
      const nonadmin = await run(launch, "nonadmin", `/bin/sh -c '${probe}'`);
      assert.equal(nonadmin.exitCode, 0, out("nonadmin"));
      const lines = out("nonadmin").trim().split("\n");
      assert.ok(Number(lines[0]) >= firstTaskUserId, `a uid of its own: ${lines[0]}`);
      assert.deepEqual(lines.slice(1), ["installed", "no-startup", "no-read", "no-other", "wrote-own"]);
      const admin = await run(launch, "admin", `/bin/sh -c 'id -u; cat ${join(jobDir, "holder", "wd", "secret.txt")}'`, { autoUser: { scope: "task", elevationLevel: "admin" } });
      assert.equal(admin.exitCode, 0);
      assert.equal(out("admin"), "0\nmine\n", "admin is root");
      for (const id of ["pool1", "pool2"]) await run(launch, id, "id -u", { autoUser: { scope: "pool", elevationLevel: "nonadmin" } });
      assert.deepEqual([out("pool1"), out("pool2")], [`${poolUserId}\n`, `${poolUserId}\n`], "pool scope: one user");
      assert.equal((await holder).exitCode, 0);
      // Handed back: the node user owns the folders and what the task wrote, the agent can remove it.
      for (const p of [join(jobDir, "nonadmin"), join(jobDir, "nonadmin", "wd"), join(jobDir, "nonadmin", "wd", "own.txt"), join(jobDir, "holder", "wd", "secret.txt")]) {
        const st = statSync(p);
        assert.deepEqual([st.uid, st.gid], [node, node], p);
      }
      assert.equal(statSync(join(jobDir, "nonadmin")).mode & 0o777, 0o755);
      assert.equal(statSync(join(jobDir, "nonadmin", "wd", "own.txt")).mode & 0o777, 0o600, "the node user may read what the task left unreadable");
    } finally {
      await server.close();
    }
  });

  it("links a task leaves do not lead the root runner out of its folder: what they point to keeps its owner and mode", async () => {
    const outside = join(root, "outside");
    mk(outside);
    chmodSync(outside, 0o711);
    writeFileSync(join(outside, "precious"), "x");
    chmodSync(join(outside, "precious"), 0o600);
    const before = statSync(join(outside, "precious"));
    const socket = join(root, "links.sock");
    const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: () => undefined, separateUsers: true, poolId: "p" });
    try {
      const launch = runnerLauncher(socket, { log: () => undefined });
      // The task leaves links to a file and a folder outside, a hard link to the file if it may, and tries to swap its working directory and its stdout.txt for links.
      const r = await run(
        launch,
        "links",
        `/bin/sh -c 'ln -s ${outside}/precious file-link; ln -s ${outside} dir-link; ln ${outside}/precious hard 2>/dev/null; (cd .. && mv wd wd-real) 2>/dev/null && echo swapped-wd || echo kept-wd; (rm ../stdout.txt && ln -s ${outside}/precious ../stdout.txt) 2>/dev/null && echo swapped-out || echo kept-out'`,
      );
      assert.equal(r.exitCode, 0, out("links"));
      assert.equal(out("links"), "kept-wd\nkept-out\n", "its folder is not the task's to rearrange");
      const precious = statSync(join(outside, "precious"));
      assert.deepEqual([precious.uid, precious.gid, precious.mode & 0o777], [before.uid, before.gid, 0o600], "the file outside is untouched");
      const folder = statSync(outside);
      assert.deepEqual([folder.uid, folder.mode & 0o777], [node, 0o711], "the folder outside is untouched");

    } finally {
      await server.close();
    }
  });

  it("a process a task-scope user left running (out of the process group) is stopped when the task ends", async () => {
    const socket = join(root, "daemon.sock");
    const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: () => undefined, separateUsers: true, poolId: "p" });
    try {
      const launch = runnerLauncher(socket, { log: () => undefined });
      const pidFile = join(jobDir, "daemon", "wd", "pid");
      const r = await run(launch, "daemon", `/bin/sh -c 'setsid sleep 60 < /dev/null > /dev/null 2>&1 & echo $! > pid'`);
      assert.equal(r.exitCode, 0);
      const pid = Number(readFileSync(pidFile, "utf8"));
      // Gone, or a zombie waiting for whoever reaps orphans here.
      const alive = () => {
        try {
          return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 20 && alive(); i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(alive(), false, "the daemon is gone");
    } finally {
      await server.close();
    }
  });

  it("the node's shared folders locked: the root and the socket's folder not writable by a task's user, the shared folder 1777", async () => {
    const node0 = join(root, "node0");
    const sockets = join(root, "sockets0");
    for (const d of [node0, sockets]) {
      mkdirSync(d, { mode: 0o777 });
      chmodSync(d, 0o2777);
      chownSync(d, 0, node);
    }
    await lockNodeFolders(node0, sockets);
    const mode = (p: string) => statSync(p).mode & 0o7777;
    assert.deepEqual([mode(node0), mode(join(node0, "shared")), mode(sockets)], [0o2775, 0o1777, 0o750]);
    assert.deepEqual([statSync(node0).gid, statSync(sockets).gid], [node, node], "the node's group kept");
  });

  it("a pool without separate users refuses a task with an identity; runs one without as its own user", async () => {
    const socket = join(root, "shared.sock");
    const server = await serveRunner(socket, { baseEnv: { PATH: process.env.PATH }, log: () => undefined, poolId: "p" });
    try {
      const launch = runnerLauncher(socket, { log: () => undefined });
      const refused = await run(launch, "refused", "/bin/true", { autoUser: { scope: "task", elevationLevel: "nonadmin" } });
      assert.equal(refused.failure?.code, "UserIdentityUnavailable");
      assert.match(refused.failure?.message ?? "", /separateTaskUsers/);
      await run(launch, "plain", "id -u");
      assert.equal(out("plain"), `${process.getuid!()}\n`);
    } finally {
      await server.close();
    }
  });
});
