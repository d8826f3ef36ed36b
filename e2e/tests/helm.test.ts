// The Helm chart (charts/kubatch): its CRDs and versions stay in step with the repository;
// `helm lint` and `helm template` pass with the default values and with every toggle on;
// values.schema.json refuses bad values; the rendered objects are what the operator and a
// hardened cluster expect; and the chart installs into the local cluster.
//
// The install uses replicas=0 and crds.install=false: the suites share one cluster whose CRDs
// and operator (a local process, not a Deployment that could be scaled) belong to the test
// harness. A second operator from the chart would dispatch the same tasks (there is no leader
// election between them), and a chart-owned CRD could not adopt the harness's. So the test
// installs everything else, checks it server-side, and rbac.test.ts checks what the chart's
// ServiceAccount may do.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jobTokenClusterRoleName } from "../../api/job-token.ts";
import { operatorConfigSchema } from "../../operator/src/config/operator-config.ts";
import { repoRoot } from "../../local-cluster/state.ts";
import { chartDir, helm, helmForTests, parseManifests, plainYaml, setArgs, template, type Manifest } from "../helm/chart.ts";
import { run, show } from "./support/run.ts";
import { kubeConfig, kubectlPath, noCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { testNamespace } from "./support/namespace.ts";

const packageVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const crdFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

/** Every toggle on: what `helm lint`/`template` must also accept. */
const everything = {
  replicas: 3,
  "leaderElection.enabled": true,
  "crds.install": true,
  "metrics.enabled": true,
  "serviceMonitor.enabled": true,
  "networkPolicy.enabled": true,
  "podDisruptionBudget.enabled": true,
  "rbac.aggregateToDefaultRoles": true,
  "admissionPolicy.enabled": true,
  "config.autoStorage.name": "batch-storage",
  "config.autoStorage.key": "connectionString",
  "image.digest": `sha256:${"a".repeat(64)}`,
};

const valueCases: Record<string, Record<string, string | number | boolean>> = {
  defaults: {},
  "every toggle on": everything,
  "every toggle off": {
    "crds.install": false,
    "metrics.enabled": false,
    "rbac.aggregateToDefaultRoles": false,
    "admissionPolicy.enabled": false,
    "serviceAccount.create": false,
    "serviceAccount.name": "existing",
    replicas: 0,
  },
};

describe("chart sources", () => {
  test("the chart's CRDs are byte-for-byte the repository's crds/ (run `make crds`, then copy them into charts/kubatch/files/crds)", () => {
    const source = join(repoRoot, "crds");
    const copy = join(chartDir, "files", "crds");
    assert.deepEqual(crdFiles(copy), crdFiles(source));
    for (const file of crdFiles(source)) {
      assert.ok(readFileSync(join(copy, file), "utf8") === readFileSync(join(source, file), "utf8"), `charts/kubatch/files/crds/${file} differs from crds/${file}`);
    }
  });

  test("the chart, its appVersion and the images' default tags follow package.json", () => {
    const chart = plainYaml(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as { version: string; appVersion: string };
    assert.equal(chart.version, packageVersion);
    assert.equal(chart.appVersion, packageVersion);
    for (const file of ["operator.Dockerfile", "task-runner.Dockerfile"]) {
      const text = readFileSync(join(repoRoot, "images", file), "utf8");
      assert.match(text, new RegExp(`^ARG VERSION=${packageVersion.replaceAll(".", "\\.")}$`, "m"), `images/${file}: ARG VERSION`);
      assert.match(text, /^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-[a-z]+-slim$/m, `images/${file}: a fully pinned Node base`);
      assert.match(text, /^USER 65532:65532$/m, `images/${file}: non-root`);
    }
  });
});

const found = await helmForTests();

describe("helm chart", { skip: found.skip }, () => {
  const bin = found.helm!;

  for (const [name, values] of Object.entries(valueCases)) {
    test(`helm lint --strict: ${name}`, async () => {
      const r = await helm(bin, ["lint", "--strict", chartDir, ...setArgs(values)]);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  const expectations: Record<string, { values: Record<string, string | number | boolean>; check: (objs: Manifest[]) => void }> = {
    defaults: {
      values: {},
      check: (objs) => {
        assert.deepEqual(kinds(objs), [
          "ClusterRole",
          "ClusterRole",
          "ClusterRole",
          "ClusterRole",
          "ClusterRoleBinding",
          "ConfigMap",
          // One per file in crds/ (their content is checked below).
          ...crdFiles(join(repoRoot, "crds")).map(() => "CustomResourceDefinition"),
          "Deployment",
          "Role",
          "RoleBinding",
          "Service",
          "ServiceAccount",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicyBinding",
          "ValidatingAdmissionPolicyBinding",
          "ValidatingAdmissionPolicyBinding",
          "ValidatingAdmissionPolicyBinding",
        ]);
        const dep = deployment(objs);
        assert.equal(dep.spec.replicas, 1);
        assert.equal(dep.spec.strategy.type, "Recreate");
        const c = dep.spec.template.spec.containers[0]!;
        assert.equal(c.image, `kubatch/operator:${packageVersion}`);
        assert.ok(!c.args.includes("--leader-elect"));
        assert.ok(c.args.includes("--config=/etc/kubatch/config.yaml"));
        assert.ok(c.args.includes("--metrics-addr=0.0.0.0:8080"));
        assert.ok(c.args.includes("--health-addr=0.0.0.0:8081"));
        assert.ok(c.args.includes("--log-format=text"));
        // Pod security: the restricted Pod Security Standard.
        assert.deepEqual(dep.spec.template.spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ["ALL"] } });
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
        assert.deepEqual(c.volumeMounts.find((m: { name: string }) => m.name === "config"), { name: "config", mountPath: "/etc/kubatch", readOnly: true });
        assert.equal(c.readinessProbe.httpGet.path, "/readyz");
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        const svc = objs.find((o) => o.kind === "Service") as unknown as { spec: { ports: { port: number; targetPort: string }[] } };
        assert.deepEqual(svc.spec.ports.map((p) => [p.port, p.targetPort]), [[8080, "metrics"]]);
        for (const crd of objs.filter((o) => o.kind === "CustomResourceDefinition")) assert.equal(crd.metadata.annotations?.["helm.sh/resource-policy"], "keep");
        const role = objs.find((o) => o.kind === "Role") as unknown as { rules: { resources: string[] }[] };
        assert.deepEqual(role.rules.flatMap((r) => r.resources), ["leases"]);
        assert.equal(configOf(objs).taskRunnerImage, `kubatch/task-runner:${packageVersion}`);
      },
    },
    "every toggle on": {
      values: everything,
      check: (objs) => {
        for (const kind of ["ServiceMonitor", "NetworkPolicy", "PodDisruptionBudget"]) assert.ok(objs.some((o) => o.kind === kind), kind);
        const dep = deployment(objs);
        assert.equal(dep.spec.replicas, 3);
        assert.equal(dep.spec.strategy.type, "RollingUpdate");
        assert.ok(dep.spec.template.spec.containers[0]!.args.includes("--leader-elect"));
        assert.equal(dep.spec.template.spec.containers[0]!.image, `kubatch/operator@sha256:${"a".repeat(64)}`);
        assert.deepEqual(configOf(objs).autoStorage, { name: "batch-storage", key: "connectionString" });
      },
    },
    "crds.install=false, metrics off, existing ServiceAccount, 0 replicas": {
      values: valueCases["every toggle off"]!,
      check: (objs) => {
        for (const kind of ["CustomResourceDefinition", "Service", "ServiceAccount", "ServiceMonitor", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]) assert.ok(!objs.some((o) => o.kind === kind), kind);
        assert.equal(objs.filter((o) => o.kind === "ClusterRole").length, 1);
        const dep = deployment(objs);
        assert.equal(dep.spec.replicas, 0);
        assert.equal(dep.spec.template.spec.serviceAccountName, "existing");
        assert.ok(!dep.spec.template.spec.containers[0]!.args.some((a: string) => a.startsWith("--metrics-addr")));
      },
    },
  };
  for (const [name, tc] of Object.entries(expectations)) {
    test(`helm template: ${name}`, async () => tc.check(await template(bin, tc.values)));
  }

  test("rendered CRDs are the repository's crds/ plus the chart's labels and keep annotation", async () => {
    const rendered = (await template(bin, {})).filter((o) => o.kind === "CustomResourceDefinition");
    const expected = crdFiles(join(repoRoot, "crds")).map((f) => plainYaml(readFileSync(join(repoRoot, "crds", f), "utf8")) as Manifest);
    assert.deepEqual(rendered.map((c) => c.metadata.name).sort(), expected.map((c) => c.metadata.name).sort());
    for (const crd of rendered) {
      const source = expected.find((c) => c.metadata.name === crd.metadata.name)!;
      for (const [k, v] of Object.entries(source.metadata.labels ?? {})) assert.equal(crd.metadata.labels?.[k], v);
      const strip = (o: Manifest) => ({ ...o, metadata: { name: o.metadata.name } });
      assert.deepEqual(strip(crd), strip(source), `${crd.metadata.name} changed in rendering`);
    }
  });

  test("rendered admission policies (and the job tokens' ClusterRole) are the chart's files under the release's names, each binding naming its policy", async () => {
    const dir = join(chartDir, "files", "admission");
    const source = readdirSync(dir).map((f) => plainYaml(readFileSync(join(dir, f), "utf8")) as Manifest & { spec?: { policyName?: string } });
    const renamed = (name: string) => `batch-kubatch-${name.replace(/\.kubatch\.dev$/, "")}`;
    const fromFiles = (o: Manifest) => o.kind.startsWith("ValidatingAdmissionPolicy") || (o.kind === "ClusterRole" && o.metadata.name === renamed(jobTokenClusterRoleName));
    const rendered = (await template(bin, {}, "batch")).filter(fromFiles) as (Manifest & { spec?: { policyName?: string } })[];
    assert.deepEqual(rendered.map((o) => `${o.kind} ${o.metadata.name}`).sort(), source.map((o) => `${o.kind} ${renamed(o.metadata.name)}`).sort());
    for (const obj of rendered) {
      const from = source.find((o) => o.kind === obj.kind && renamed(o.metadata.name) === obj.metadata.name)!;
      assert.equal(obj.metadata.labels?.["app.kubernetes.io/instance"], "batch");
      const policyName = obj.spec?.policyName;
      if (policyName) {
        assert.equal(policyName, renamed(from.spec!.policyName!));
        assert.ok(rendered.some((p) => p.kind === "ValidatingAdmissionPolicy" && p.metadata.name === policyName), `${obj.metadata.name}: its policy is rendered`);
      }
      const strip = (o: Manifest & { spec?: { policyName?: string } }) => ({ ...o, metadata: {}, ...(o.spec ? { spec: { ...o.spec, policyName: undefined } } : {}) });
      assert.deepEqual(strip(obj), strip(from), `${obj.metadata.name} changed in rendering`);
    }
  });

  test("the rendered operator config is valid for the operator", async () => {
    const cases: Record<string, Record<string, string>> = {
      defaults: {},
      "auto storage and a custom size": { "config.autoStorage.name": "s", "config.autoStorage.key": "k", "config.vmSizes.gpu.requests.cpu": "4", "config.vmSizes.gpu.limits.memory": "8Gi" },
      "autoscale sampling": { "config.autoscale.samplePeriod": "PT15S" },
      "no node NetworkPolicies": { "config.nodeNetworkPolicy": "false" },
      "task-runner image by digest": { "taskRunner.image.repository": "registry.example/kubatch/task-runner", "taskRunner.image.digest": `sha256:${"b".repeat(64)}` },
    };
    for (const [name, values] of Object.entries(cases)) {
      const parsed = operatorConfigSchema.safeParse(configOf(await template(bin, values)));
      assert.ok(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`);
    }
  });

  const refused: Record<string, { values: Record<string, string | number | boolean>; error: RegExp }> = {
    "negative replicas": { values: { replicas: -1 }, error: /\/replicas.*minimum/ },
    "replicas not a number": { values: { replicas: "many" }, error: /\/replicas/ },
    "unknown pull policy": { values: { "image.pullPolicy": "Sometimes" }, error: /\/image\/pullPolicy/ },
    "misspelt top-level key": { values: { replica: 2 }, error: /additional properties 'replica' not allowed/ },
    "misspelt nested key": { values: { "metrics.enable": true }, error: /\/metrics.*'enable'/ },
    "bad autoscale sample period": { values: { "config.autoscale.samplePeriod": "often" }, error: /\/config\/autoscale\/samplePeriod/ },
    "relative node root": { values: { "config.nodeRootDir": "mnt/batch" }, error: /\/config\/nodeRootDir/ },
    "auto storage without key": { values: { "config.autoStorage.name": "s" }, error: /\/config\/autoStorage/ },
    "bad vm size quantity": { values: { "config.vmSizes.small.requests.cpu": "lots" }, error: /\/config\/vmSizes\/small\/requests\/cpu/ },
    "port out of range": { values: { "metrics.port": 70000 }, error: /\/metrics\/port/ },
    "bad digest": { values: { "image.digest": "sha256:xyz" }, error: /\/image\/digest/ },
    "node NetworkPolicy toggle not a boolean": { values: { "config.nodeNetworkPolicy": "sometimes" }, error: /\/config\/nodeNetworkPolicy/ },
    "admission policy toggle not a boolean": { values: { "admissionPolicy.enabled": "yes" }, error: /\/admissionPolicy\/enabled/ },
    "two replicas without leader election": { values: { replicas: 2 }, error: /needs leaderElection.enabled/ },
    "ServiceMonitor without metrics": { values: { "serviceMonitor.enabled": true, "metrics.enabled": false }, error: /serviceMonitor.enabled needs metrics.enabled/ },
  };
  for (const [name, tc] of Object.entries(refused)) {
    test(`values refused: ${name}`, async () => {
      const r = await helm(bin, ["template", "kubatch", chartDir, ...setArgs(tc.values)]);
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, tc.error);
    });
  }

  describe("helm install into the local cluster", { skip: noCluster }, () => {
    let ns: { name: string; remove: () => Promise<void> };
    const release = `kubatch-${Math.random().toString(36).slice(2, 7)}`;
    const installValues = {
      replicas: 0,
      "crds.install": false,
      "networkPolicy.enabled": true,
      "podDisruptionBudget.enabled": true,
    };
    const kubectl = (args: string[], input?: string) => run(kubectlPath(), args, 60_000, process.env, input);

    before(async () => {
      ns = await testNamespace(kubeConfig(), "helm");
    });
    after(async () => {
      await helm(bin, ["uninstall", release, "--namespace", ns.name, "--wait", "--timeout", "60s"]);
      await ns.remove();
    });

    test("every rendered object (CRDs included) passes server-side validation", { timeout: 120_000 }, async () => {
      // ServiceMonitor needs prometheus-operator's CRDs, which the local cluster does not have.
      const values = { ...everything, "serviceMonitor.enabled": false };
      const r = await helm(bin, ["template", release, chartDir, "--namespace", ns.name, ...setArgs(values)]);
      assert.equal(r.code, 0, show(r));
      const applied = await kubectl(["apply", "--dry-run=server", "--server-side", "--force-conflicts", "--field-manager=helm-test", "-f", "-"], r.stdout);
      assert.equal(applied.code, 0, show(applied));
      assert.equal(parseManifests(r.stdout).length, applied.stdout.trim().split("\n").length, applied.stdout);
    });

    test("installs with crds.install=false and replicas=0; the objects exist; upgrade and uninstall work", { timeout: 180_000 }, async () => {
      const install = await helm(bin, ["install", release, chartDir, "--namespace", ns.name, "--wait", "--timeout", "120s", ...setArgs(installValues)], 150_000);
      assert.equal(install.code, 0, show(install));
      assert.match(install.stdout, /STATUS: deployed/);
      assert.match(install.stdout, /0 replicas/);

      const fullname = release; // the release name contains the chart name
      const expected = [
        ["deployment", `${fullname}-operator`],
        ["serviceaccount", fullname],
        ["configmap", `${fullname}-config`],
        ["service", `${fullname}-metrics`],
        ["role", `${fullname}-leader-election`],
        ["rolebinding", `${fullname}-leader-election`],
        ["networkpolicy", `${fullname}-operator`],
        ["poddisruptionbudget", `${fullname}-operator`],
        ["clusterrole", `${fullname}-operator`],
        ["clusterrolebinding", `${fullname}-operator`],
        ["clusterrole", `${fullname}-edit`],
        ["clusterrole", `${fullname}-view`],
        ["validatingadmissionpolicy", `${fullname}-task-assignment`],
        ["validatingadmissionpolicybinding", `${fullname}-task-status-by-node`],
        ["validatingadmissionpolicy", `${fullname}-node-pod-annotation`],
        ["validatingadmissionpolicy", `${fullname}-job-token`],
        ["clusterrole", `${fullname}-job-token`],
      ];
      for (const [kind, name] of expected) {
        const got = await kubectl(["get", kind!, name!, "--namespace", ns.name, "-o", "name"]);
        assert.equal(got.code, 0, `${kind}/${name}: ${show(got)}`);
      }
      const dep = JSON.parse((await kubectl(["get", "deployment", `${fullname}-operator`, "-n", ns.name, "-o", "json"])).stdout) as { spec: { replicas: number }; status: { replicas?: number } };
      assert.equal(dep.spec.replicas, 0);
      assert.equal(dep.status.replicas ?? 0, 0);
      const config = (await kubectl(["get", "configmap", `${fullname}-config`, "-n", ns.name, "-o", "jsonpath={.data.config\\.yaml}"])).stdout;
      assert.ok(operatorConfigSchema.safeParse(plainYaml(config)).success, config);

      // Re-running the same release is an upgrade that changes nothing in the operator's pods.
      const before = (await kubectl(["get", "deployment", `${fullname}-operator`, "-n", ns.name, "-o", "jsonpath={.metadata.generation}"])).stdout;
      const upgrade = await helm(bin, ["upgrade", release, chartDir, "--namespace", ns.name, "--wait", "--timeout", "120s", ...setArgs(installValues)], 150_000);
      assert.equal(upgrade.code, 0, show(upgrade));
      assert.match(upgrade.stdout, /REVISION: 2/);
      const afterGen = (await kubectl(["get", "deployment", `${fullname}-operator`, "-n", ns.name, "-o", "jsonpath={.metadata.generation}"])).stdout;
      assert.equal(afterGen, before, "an upgrade with the same values must not roll the operator");

      const uninstall = await helm(bin, ["uninstall", release, "--namespace", ns.name, "--wait", "--timeout", "60s"], 90_000);
      assert.equal(uninstall.code, 0, show(uninstall));
      await eventually("cluster-scoped objects removed", 30_000, async () => {
        const got = await kubectl(["get", "clusterrole", `${fullname}-operator`, "--ignore-not-found", "-o", "name"]);
        return got.code === 0 && got.stdout.trim() === "" ? true : undefined;
      });
      // The harness's CRDs were never the release's: still there.
      const crds = await kubectl(["get", "crd", "pools.kubatch.dev", "-o", "name"]);
      assert.equal(crds.code, 0, show(crds));
    });
  });
});

function kinds(objs: Manifest[]): string[] {
  return objs.map((o) => o.kind).sort();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function deployment(objs: Manifest[]): Loose {
  const dep = objs.find((o) => o.kind === "Deployment");
  assert.ok(dep, "no Deployment rendered");
  return dep;
}

function configOf(objs: Manifest[]): Record<string, unknown> {
  const cm = objs.find((o) => o.kind === "ConfigMap") as unknown as { data: Record<string, string> } | undefined;
  assert.ok(cm, "no ConfigMap rendered");
  return plainYaml(cm.data["config.yaml"]!) as Record<string, unknown>;
}
