import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assignmentPolicyName, jobTokenPolicyName, nodePodPolicyName, nodeStatusPolicyName, taskAdmissionPolicies, type AdmissionObject } from "./admission-policy.ts";
import { checkAdmission, writeAdmission } from "./crd-gen/main.ts";

type Spec = {
  failurePolicy?: string;
  matchConstraints?: { resourceRules: { apiGroups: string[]; operations: string[]; resources: string[] }[] };
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  validations?: { expression: string; message: string; reason: string }[];
  policyName?: string;
  validationActions?: string[];
};
const objects = taskAdmissionPolicies() as (AdmissionObject & { spec: Spec })[];
const policy = (name: string) => objects.find((o) => o.kind === "ValidatingAdmissionPolicy" && o.metadata.name === name)!;

describe("task admission policies", () => {
  const cases: Record<string, { name: string; matches: string[]; fieldsNamed: RegExp[] }> = {
    "only the operator assigns": { name: assignmentPolicyName, matches: ["CREATE tasks", "UPDATE tasks"], fieldsNamed: [/^metadata\.labels\[kubatch\.dev\/node\]: /, /^metadata\.annotations\[kubatch\.dev\/assignment\]: /] },
    "a node agent writes its own pod's tasks' status": { name: nodeStatusPolicyName, matches: ["UPDATE tasks/status", "UPDATE collectionchunks/status"], fieldsNamed: [/^status: /, /^metadata\.labels\[kubatch\.dev\/node\]: /] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: fails closed, matches ${tc.matches.join(", ")}, refuses naming the field`, () => {
      const p = policy(tc.name);
      assert.equal(p.spec.failurePolicy, "Fail");
      assert.deepEqual(p.spec.matchConstraints!.resourceRules.flatMap((r) => r.operations.flatMap((op) => r.resources.map((res) => `${op} ${res}`))), tc.matches);
      assert.deepEqual(p.spec.matchConstraints!.resourceRules.flatMap((r) => r.apiGroups), ["kubatch.dev"]);
      assert.equal(p.spec.validations!.length, tc.fieldsNamed.length);
      p.spec.validations!.forEach((v, i) => {
        assert.match(v.message, tc.fieldsNamed[i]!);
        assert.equal(v.reason, "Forbidden");
        // The operator is exempt by permission: every refusal can be overridden by it.
        assert.match(v.expression, /variables\.operator$/);
      });
      assert.match(p.spec.variables!.find((v) => v.name === "operator")!.expression, /check\('assign'\)/);
    });
  }

  it("the status policy applies to node agents: the kubatch-node ServiceAccount or a pod-bound token", () => {
    const [cond] = policy(nodeStatusPolicyName).spec.matchConditions!;
    assert.match(cond!.expression, /endsWith\(':kubatch-node'\)/);
    assert.match(cond!.expression, /'authentication\.kubernetes\.io\/pod-name' in request\.userInfo\.extra/);
  });

  it("the node pod policy: pod updates by the kubatch-node ServiceAccount, its own pod, one annotation, fails closed", () => {
    const p = policy(nodePodPolicyName);
    assert.equal(p.spec.failurePolicy, "Fail");
    assert.deepEqual(p.spec.matchConstraints!.resourceRules.flatMap((r) => r.operations.flatMap((op) => r.resources.map((res) => `${op} ${res}`))), ["UPDATE pods"]);
    assert.match(p.spec.matchConditions![0]!.expression, /endsWith\(':kubatch-node'\)/);
    assert.deepEqual(p.spec.validations!.map((v) => v.message), ["a node agent changes its own pod only", "metadata.annotations[kubatch.dev/start-task-info]: a node agent changes only this annotation of its pod"]);
  });

  it("the job token policy: creates and updates of tasks and collections by a kubatch-job-<job> ServiceAccount, held to <job>, fails closed", () => {
    const p = policy(jobTokenPolicyName);
    assert.equal(p.spec.failurePolicy, "Fail");
    assert.deepEqual(p.spec.matchConstraints!.resourceRules.flatMap((r) => r.operations.flatMap((op) => r.resources.map((res) => `${op} ${res}`))), ["CREATE tasks", "CREATE taskcollections", "UPDATE tasks", "UPDATE taskcollections"]);
    assert.equal(p.spec.matchConditions![0]!.expression, "request.userInfo.username.startsWith('system:serviceaccount:' + request.namespace + ':kubatch-job-')");
    assert.deepEqual(p.spec.validations!.map((v) => [v.message, v.reason]), [["spec.jobName: a job token adds tasks to its own job only", "Forbidden"]]);
  });

  it("each policy has a binding that denies", () => {
    const bindings = objects.filter((o) => o.kind === "ValidatingAdmissionPolicyBinding");
    assert.deepEqual(bindings.map((b) => b.spec.policyName), [assignmentPolicyName, nodeStatusPolicyName, nodePodPolicyName, jobTokenPolicyName]);
    for (const b of bindings) assert.deepEqual(b.spec.validationActions, ["Deny"]);
    // A binding follows its policy in apply order.
    for (const b of bindings) assert.ok(objects.indexOf(b) > objects.indexOf(policy(b.spec.policyName!)));
  });
});

describe("the chart's admission policy files", () => {
  it("match api/admission-policy.ts (run `node api/crd-gen/main.ts` to update)", () => {
    assert.deepEqual(checkAdmission(), []);
  });

  it("a drifted, missing or stale file is reported", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubatch-admission-"));
    try {
      writeAdmission(dir);
      assert.deepEqual(checkAdmission(dir), []);
      const file = join(dir, `${assignmentPolicyName}.policy.yaml`);
      writeFileSync(file, readFileSync(file, "utf8").replace("failurePolicy: Fail", "failurePolicy: Ignore"));
      writeFileSync(join(dir, "old.yaml"), "");
      const problems = checkAdmission(dir);
      assert.equal(problems.length, 2);
      assert.match(problems[0]!, /task-assignment\.kubatch\.dev\.policy\.yaml: differs/);
      assert.match(problems[0]!, /^\+\s+failurePolicy: Fail$/m);
      assert.match(problems[1]!, /old\.yaml: not generated/);
      rmSync(file);
      assert.match(checkAdmission(dir)[0]!, /task-assignment\.kubatch\.dev\.policy\.yaml: missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
