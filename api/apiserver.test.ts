/**
 * The API server and the zod schemas agree: every manifest of manifest-cases.ts is accepted or
 * refused by both, and the API server's refusal names the field. Also the acceptance checks of
 * the CRDs themselves (apply twice, explain, get by category and short name, scale).
 *
 * Runs against the project's local control plane (.kubatch/kubeconfig, or KUBATCH_TEST_KUBECONFIG);
 * skipped when there is none. It applies crds/ and creates objects in the namespace kubatch-api-test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { invalidCases, validCases } from "./manifest-cases.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));
const defaultKubeconfig = join(repo, ".kubatch", "kubeconfig");
const kubeconfig = process.env.KUBATCH_TEST_KUBECONFIG ?? (existsSync(defaultKubeconfig) ? defaultKubeconfig : undefined);
const namespace = "kubatch-api-test";

/** The kubectl built with the local control plane (matching its version), else the one on PATH. */
function kubectlBinary(): string {
  const root = join(homedir(), ".cache", "kubatch", "kube");
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort().reverse()) {
      const candidate = join(root, version, "bin", "kubectl");
      if (existsSync(candidate)) return candidate;
    }
  }
  return "kubectl";
}

const kubectlPath = kubectlBinary();

function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(kubectlPath, ["--kubeconfig", kubeconfig!, ...args], { input, encoding: "utf8", timeout: 60_000 });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function ok(args: string[], input?: string): string {
  const r = kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function reachable(): boolean {
  return kubeconfig !== undefined && kubectl(["get", "--raw", "/readyz", "--request-timeout=5s"]).code === 0;
}

const skip = reachable() ? false : "no reachable local control plane (.kubatch/kubeconfig)";

describe("against the API server", { skip }, () => {
  const examples = join(repo, "examples");
  const crds = join(repo, "crds");

  before(() => {
    ok(["apply", "--server-side", "--force-conflicts", "-f", crds]);
    ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", crds]);
    ok(["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }));
    kubectl(["-n", namespace, "delete", "--ignore-not-found", "--wait", "-f", examples]);
  });

  after(() => {
    kubectl(["-n", namespace, "delete", "--ignore-not-found", "--wait=false", "-f", examples]);
  });

  describe("accepts every valid manifest", () => {
    for (const [name, object] of Object.entries(validCases)) {
      it(name, () => {
        ok(["-n", namespace, "create", "--dry-run=server", "-o", "name", "-f", "-"], JSON.stringify(object));
      });
    }
  });

  describe("refuses every invalid manifest naming the field", () => {
    for (const [name, tc] of Object.entries(invalidCases)) {
      it(name, () => {
        const r = kubectl(["-n", namespace, "create", "--dry-run=server", "-o", "name", "-f", "-"], JSON.stringify(tc.object));
        assert.notEqual(r.code, 0, `accepted: ${r.stdout}`);
        const named = r.stderr.includes(`${tc.field}:`) || r.stderr.includes(`"${tc.field}"`) || r.stderr.includes(`${tc.field} in body`);
        assert.ok(named, `the message does not name ${tc.field}: ${r.stderr}`);
      });
    }
  });

  describe("the CRDs and the examples", () => {
    // Generations, not resourceVersions: the operator may write status (and a finalizer) meanwhile;
    // re-applying the same manifests must not change what the user owns.
    // The operator's chunks of the example collection (category kubatch too) come and go with it,
    // and the work item's jobs (and their job manager tasks) are the operator's: not the user's.
    const resourceVersions = () =>
      ok(["-n", namespace, "get", "kubatch", "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.generation}:{.spec}\n{end}"])
        .split("\n")
        .filter((line) => line && !line.startsWith("CollectionChunk/") && !/^(Job|Task)\/example-nightly-job-/.test(line))
        .join(" ");

    it("apply server-side, and applying again changes nothing", () => {
      const crdVersions = () => ok(["get", "-f", crds, "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}"]);
      const crdsBefore = crdVersions();
      ok(["apply", "--server-side", "-f", crds]);
      assert.equal(crdVersions(), crdsBefore);

      ok(["-n", namespace, "apply", "--server-side", "-f", examples]);
      const first = resourceVersions();
      assert.equal(first.match(/=\d+:/g)?.length, 5, first);
      ok(["-n", namespace, "apply", "--server-side", "-f", examples]);
      assert.equal(resourceVersions(), first);
    });

    it("kubectl get kubatch and the short names list them", () => {
      const all = ok(["-n", namespace, "get", "kubatch", "-o", "name"]);
      const names = ["pool.kubatch.dev/example", "workitem.kubatch.dev/example-nightly", "job.kubatch.dev/example", "task.kubatch.dev/summary", "taskcollection.kubatch.dev/pages"];
      for (const name of names) {
        assert.ok(all.includes(name), all);
      }
      const jobs = ok(["-n", namespace, "get", "kjob"]);
      assert.match(jobs, /^NAME\s+STATE\s+POOL\s+ACTIVE\s+RUNNING\s+SUCCEEDED\s+FAILED\s+AGE$/m);
      assert.match(jobs, /^example\s+((Active|Completed)\s+)?example\s/m); // the operator, if running, fills STATE
      assert.match(ok(["-n", namespace, "get", "ktask"]), /^NAME\s+STATE\s+RESULT\s+WAITING\s+NODE\s+EXIT CODE\s+RETRIES\s+AGE$/m);
      assert.match(ok(["-n", namespace, "get", "kpool"]), /^NAME\s+STATE\s+CURRENT\s+TARGET\s+AUTOSCALE\s+AGE$/m);
      assert.match(ok(["-n", namespace, "get", "kwi"]), /^NAME\s+STATE\s+NEXT RUN\s+RECENT JOB\s+AGE$/m);
      assert.match(ok(["-n", namespace, "get", "ktc"]), /^NAME\s+STATE\s+ITEMS\s+SUCCEEDED\s+FAILED\s+AGE$/m);
    });

    it("kubectl explain pools.spec.startTask documents the fields", () => {
      const out = ok(["explain", "pools.spec.startTask"]);
      assert.match(out, /commandLine\s+<string> -required-/);
      assert.match(out, /resourceFiles\s+<\[\]Object>/);
    });

    it("kubectl explain taskcollections.spec.source documents the sources", () => {
      const out = ok(["explain", "taskcollections.spec.source"]);
      for (const field of ["range", "items", "blobs"]) assert.match(out, new RegExp(`^\\s+${field}\\s+<`, "m"));
    });

    it("kubectl scale kpool sets targetDedicatedNodes", () => {
      ok(["-n", namespace, "scale", "kpool/example", "--replicas=4"]);
      assert.equal(ok(["-n", namespace, "get", "kpool", "example", "-o", "jsonpath={.spec.targetDedicatedNodes}"]), "4");
    });

    it("applies the defaults the zod schemas apply", () => {
      const spec = JSON.parse(ok(["-n", namespace, "get", "kjob", "example", "-o", "jsonpath={.spec}"]));
      assert.equal(spec.maxParallelTasks, -1);
      assert.equal(spec.onTaskFailure, "NoAction");
      assert.equal(spec.jobPreparationTask.id, "jobpreparation");
      assert.equal(spec.jobReleaseTask.maxWallClockTime, "PT15M");
    });

    it("a Task and a Job show state Active from creation, before anything writes their status; kubectl get ktask shows RESULT and WAITING", () => {
      ok(["-n", namespace, "apply", "-f", "-"], JSON.stringify({ apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "fresh" }, spec: { jobName: "no-such-job", commandLine: "echo" } }));
      assert.equal(ok(["-n", namespace, "get", "ktask", "fresh", "-o", "jsonpath={.status.state}"]), "Active");
      assert.equal(ok(["-n", namespace, "get", "kjob", "example", "-o", "jsonpath={.status.state}"]) !== "", true);
      assert.match(ok(["-n", namespace, "get", "ktask", "fresh"]), /^NAME\s+STATE\s+RESULT\s+WAITING\s+NODE\s+EXIT CODE\s+RETRIES\s+AGE\nfresh\s+Active\s/);
      // selectableFields: a job's tasks by state, the defaulted state included.
      assert.equal(ok(["-n", namespace, "get", "ktask", "--field-selector", "spec.jobName=no-such-job,status.state=Active", "-o", "name"]).trim(), "task.kubatch.dev/fresh");
      assert.equal(ok(["-n", namespace, "get", "ktask", "--field-selector", "spec.jobName=no-such-job,status.state=Running", "-o", "name"]).trim(), "");
      ok(["-n", namespace, "delete", "ktask", "fresh"]);
    });

    it("refuses a change to a started task's spec; allows it while Active (new, requeued, reactivated) and status or metadata changes after", () => {
      ok(["-n", namespace, "apply", "-f", "-"], JSON.stringify({ apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "started" }, spec: { jobName: "j", commandLine: "echo 1" } }));
      const patchSpec = (commandLine: string) => kubectl(["-n", namespace, "patch", "ktask", "started", "--type=merge", "-p", JSON.stringify({ spec: { commandLine } })]);
      const setState = (state: string) => ok(["-n", namespace, "patch", "ktask", "started", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { state } })]);
      assert.equal(patchSpec("echo 2").code, 0, "Active: the spec may change");
      for (const state of ["Running", "Completed"]) {
        setState(state);
        const r = patchSpec(`echo ${state}`);
        assert.notEqual(r.code, 0, `${state}: the spec change was accepted`);
        assert.match(r.stderr, /spec: Invalid value: "object": spec cannot change once the task has started/);
      }
      ok(["-n", namespace, "label", "ktask", "started", "note=kept"]);
      setState("Active");
      assert.equal(patchSpec("echo 3").code, 0, "Active again: the spec may change");
      ok(["-n", namespace, "delete", "ktask", "started"]);
    });

    it("refuses a bad duration naming the accepted forms, not the regex", () => {
      const r = kubectl(["-n", namespace, "create", "--dry-run=server", "-f", "-"], JSON.stringify({ apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "d" }, spec: { jobName: "j", commandLine: "x", constraints: { maxWallClockTime: "ten minutes" } } }));
      assert.notEqual(r.code, 0, "accepted");
      assert.match(r.stderr, /spec\.constraints\.maxWallClockTime: Invalid value: "string": must be a duration: expected a Go duration such as "90s" or "1h30m", or an ISO 8601 duration such as "PT15M" or "P7D"/);
      assert.doesNotMatch(r.stderr, /\(\?:/, "no regex in the message");
    });

    it("refuses a change to a collection's source, naming it", () => {
      const r = kubectl(["-n", namespace, "patch", "ktc", "pages", "--type=merge", "-p", JSON.stringify({ spec: { source: { range: { start: 0, end: 1 } } } })]);
      assert.notEqual(r.code, 0, "the patch was accepted");
      assert.match(r.stderr, /spec\.source: Invalid value: "object": is immutable/);
    });

    it("applies a collection template's defaults", () => {
      const task = JSON.parse(ok(["-n", namespace, "get", "ktc", "pages", "-o", "jsonpath={.spec.task}"]));
      assert.equal(task.requiredSlots, 1);
      assert.equal(task.constraints.retentionTime, "P7D");
      assert.equal(task.constraints.maxTaskRetryCount, 1, "the example's own value kept");
    });
  });
});
