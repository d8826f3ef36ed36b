import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const main = join(import.meta.dirname, "main.ts");

/** `kubatch pool autoscale ARGS` with no cluster at all (KUBECONFIG names nothing), in a time zone not UTC: exit code, stdout, stderr. */
async function autoscale(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, "pool", "autoscale", ...args], { cwd, env: { ...process.env, KUBECONFIG: join(cwd, "no-kubeconfig"), TZ: "America/New_York" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Azure's documented "pending tasks" formula.
const pendingTasks = `$samples = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15);
$tasks = $samples < 70 ? max(0, $PendingTasks.GetSample(1)) : max($PendingTasks.GetSample(1), avg($PendingTasks.GetSample(TimeInterval_Minute * 15)));
$targetVMs = $tasks > 0 ? $tasks : max(0, $TargetDedicatedNodes / 2);
$TargetDedicatedNodes = max(0, min($targetVMs, 25));
$NodeDeallocationOption = taskcompletion;
`;
const at = "2024-05-01T09:30:00Z";
/** `n` samples 30 s apart, the last at `at`. */
const history = (n: number, value: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ timestamp: new Date(Date.parse(at) - (n - 1 - i) * 30_000).toISOString(), value: value(i) }));

test("pool autoscale --samples evaluates a formula offline against a given history, as Azure's evaluate-autoscale does", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kubatch-autoscale-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    "formula.txt": pendingTasks,
    "busy.json": JSON.stringify({ samples: { $PendingTasks: history(30, () => 9) }, currentDedicatedNodes: 2, targetDedicatedNodes: 2 }),
    "young.json": JSON.stringify({ samples: { $PendingTasks: history(3, (i) => i) }, targetDedicatedNodes: 6 }),
    "cpu.json": JSON.stringify({ samples: { $CPUPercent: history(20, () => 85) }, currentDedicatedNodes: 4, targetDedicatedNodes: 4 }),
    "bad.json": JSON.stringify({ samples: { $ActiveTask: [] }, taskSlotsPerNode: 0, samples2: 1 }),
    "bad-sample.json": JSON.stringify({ samples: { $ActiveTasks: [{ timestamp: "yesterday", value: 1 }] } }),
    "not.json": "{ samples: ",
    "syntax.txt": "$TargetDedicatedNodes = 1;\n$x = max(1, ;",
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);

  const cases: Record<string, { args: string[]; code: number; stdout?: RegExp; stderr?: RegExp }> = {
    "the docs' pending-tasks formula on 15 busy minutes": {
      args: ["--formula", "@formula.txt", "--samples", "busy.json", "--time", at],
      code: 0,
      stdout: /^\$TargetDedicatedNodes=9;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=taskcompletion;\$samples=100;\$targetVMs=9;\$tasks=9\n→ would set 9 dedicated and 0 low-priority nodes \(taskcompletion\)\n$/,
    },
    "a young pool: under 70% of the window, the last sample": {
      args: ["--formula", "@formula.txt", "--samples", "young.json", "--time", at],
      code: 0,
      stdout: /^\$TargetDedicatedNodes=2;.*;\$samples=10;\$targetVMs=2;\$tasks=2\n/,
    },
    "the docs' CPU formula reads $CPUPercent from the file": {
      args: ["--formula", "$TargetDedicatedNodes = (avg($CPUPercent.GetSample(TimeInterval_Minute * 10)) > 70) ? $CurrentDedicatedNodes * 1.1 : $CurrentDedicatedNodes;", "--samples", "cpu.json", "--time", at],
      code: 0,
      stdout: /^\$TargetDedicatedNodes=4\.4;.*\n→ would set 4 dedicated/,
    },
    "a history too short for a guard statement": {
      args: ["--formula", "$PendingTasks.GetSample(TimeInterval_Minute * 5, 100); $TargetDedicatedNodes = 3;", "--samples", "young.json", "--time", at],
      code: 1,
      stderr: /^InsufficientSampleData: Autoscale evaluation failed due to insufficient sample data\n {2}Message: Line 1, Col 24: Insufficient data from data set: \$PendingTasks wanted 100%, received 30%\n$/,
    },
    "a syntax error, with its line and column": {
      args: ["--formula", "@syntax.txt", "--samples", "busy.json"],
      code: 1,
      stderr: /^AutoScalingFormulaSyntaxError: .*\n {2}Message: Line 2, Col 13: expected an expression, found ';'\n$/,
    },
    "every bad field of the file, named": {
      args: ["--formula", "$TargetDedicatedNodes = 1;", "--samples", "bad.json"],
      code: 1,
      stderr: /--samples bad\.json: samples\.\$ActiveTask: unknown field; taskSlotsPerNode: .*>=1; samples2: unknown field/,
    },
    "a sample's timestamp": { args: ["--formula", "x = 1", "--samples", "bad-sample.json"], code: 1, stderr: /samples\.\$ActiveTasks\[0\]\.timestamp: not a timestamp/ },
    "a file that is not JSON": { args: ["--formula", "x = 1", "--samples", "not.json"], code: 1, stderr: /--samples not\.json: not JSON/ },
    "a missing file": { args: ["--formula", "x = 1", "--samples", "nowhere.json"], code: 1, stderr: /--samples nowhere\.json: no such file/ },
    "a missing formula file": { args: ["--formula", "@nowhere.txt", "--samples", "busy.json"], code: 1, stderr: /--formula @nowhere\.txt: no such file/ },
    "--time without a zone is UTC, as time() reads it (the machine's zone is not)": {
      args: ["--formula", "$t = time();", "--samples", "busy.json", "--time", "2024-05-01T09:30:00"],
      code: 0,
      stdout: /;\$t=2024-05-01T09:30:00\.000Z\n/,
    },
    "a --time with 7 fraction digits, refused as time() refuses it": { args: ["--formula", "x = 1", "--samples", "busy.json", "--time", "2024-05-01T09:30:00.1234567Z"], code: 1, stderr: /is not a timestamp/ },
    "a bad --time": { args: ["--formula", "x = 1", "--samples", "busy.json", "--time", "tomorrow"], code: 1, stderr: /--time "tomorrow" is not a timestamp/ },
    "no formula": { args: ["--samples", "busy.json"], code: 2, stderr: /--samples needs --formula/ },
    "a pool and --samples": { args: ["pool1", "--formula", "x = 1", "--samples", "busy.json"], code: 2, stderr: /drop "pool1", or drop --samples/ },
    "--time against a pool": { args: ["pool1", "--time", at], code: 2, stderr: /--time is for offline evaluation/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const r = await autoscale(tc.args, dir);
      assert.equal(r.code, tc.code, `${r.stdout}\n${r.stderr}`);
      if (tc.stdout) assert.match(r.stdout, tc.stdout);
      if (tc.stderr) assert.match(r.stderr, tc.stderr);
    });
  }
});
