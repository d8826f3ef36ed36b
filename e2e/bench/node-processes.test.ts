import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeCpuUse, nodeRole, statCpu, type NodeCpuSnapshot } from "./node-processes.ts";

test("nodeRole: the agent or runner of one of the given node pods, nothing else", () => {
  const ids = new Set(["warm-abc12", "warm-def34"]);
  const env = (id: string) => ["PATH=/usr/bin", `AZ_BATCH_NODE_ID=${id}`, "HOME=/"];
  const cases: { argv: string[]; environ: string[]; want: ReturnType<typeof nodeRole> }[] = [
    { argv: ["node", "/opt/kubatch/task-runner/src/main.ts", "agent", ""], environ: env("warm-abc12"), want: "agent" },
    { argv: ["node", "/opt/kubatch/task-runner/src/main.ts", "runner", ""], environ: env("warm-def34"), want: "runner" },
    { argv: ["node", "/opt/kubatch/task-runner/src/main.ts", "agent"], environ: env("other-cluster-node"), want: undefined },
    { argv: ["node", "/opt/kubatch/task-runner/src/main.ts", "agent"], environ: ["PATH=/usr/bin"], want: undefined },
    { argv: ["node", "/opt/kubatch/task-runner/src/main.ts", "install-agent"], environ: env("warm-abc12"), want: undefined },
    { argv: ["/bin/true"], environ: env("warm-abc12"), want: undefined },
  ];
  for (const c of cases) assert.equal(nodeRole(c.argv, c.environ, ids), c.want, `${c.argv.join(" ")} / ${c.environ.join(",")}`);
});

test("statCpu reads utime+stime and cutime+cstime after the command name", () => {
  const cases: { stat: string; want: ReturnType<typeof statCpu> | RegExp }[] = [
    { stat: "1504 (node) S 1490 1504 1504 0 -1 4194560 5000 0 0 0 2600 400 150 50 20 0 11 0 1000 10010644480 56455", want: { self: 30, children: 2 } },
    { stat: "77 (we (ir) d) R 1 77 77 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 5 6 7", want: { self: 0.03, children: 0.07 } },
    { stat: "garbage", want: /not a \/proc/ },
  ];
  for (const c of cases) {
    if (c.want instanceof RegExp) assert.throws(() => statCpu(c.stat), c.want);
    else assert.deepEqual(statCpu(c.stat), c.want, c.stat);
  }
});

test("nodeCpuUse sums deltas by role; the runner's children are the item processes", () => {
  const before: NodeCpuSnapshot = new Map([
    [10, { role: "agent", self: 5, children: 0 }],
    [11, { role: "runner", self: 2, children: 1 }],
  ]);
  const after: NodeCpuSnapshot = new Map([
    [10, { role: "agent", self: 15.5, children: 0 }],
    [11, { role: "runner", self: 8, children: 4 }],
    [12, { role: "runner", self: 1, children: 0.5 }], // restarted meanwhile: counts from zero
  ]);
  assert.deepEqual(nodeCpuUse(before, after), { processes: 3, agentSeconds: 10.5, runnerSeconds: 7, itemProcessSeconds: 3.5 });
});
