import assert from "node:assert/strict";
import { test } from "node:test";
import { kubeVersion, versionLdflags } from "./kube-build.ts";

test("kubeVersion reads the k8s.io/kubernetes requirement", async (t) => {
  const cases: Record<string, { goMod: string; want?: string }> = {
    "require block": { goMod: "module x\nrequire (\n\tgo.etcd.io/etcd/server/v3 v3.6.4\n\tk8s.io/kubernetes v1.34.4\n)\n", want: "v1.34.4" },
    "single require line is not a block entry": { goMod: "module x\n\tk8s.io/kubernetes v1.35.0\n", want: "v1.35.0" },
    "a replace of a staging module is not it": { goMod: "module x\nreplace k8s.io/api => k8s.io/api v0.34.4\n" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      if (tc.want) assert.equal(kubeVersion(tc.goMod), tc.want);
      else assert.throws(() => kubeVersion(tc.goMod), /no k8s.io\/kubernetes requirement/);
    });
  }
});

test("versionLdflags sets the release in both version packages", () => {
  const flags = versionLdflags("v1.34.4");
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    assert.match(flags, new RegExp(`-X ${pkg}.gitVersion=v1.34.4`));
    assert.match(flags, new RegExp(`-X ${pkg}.gitMajor=1 `));
    assert.match(flags, new RegExp(`-X ${pkg}.gitMinor=34 `));
  }
});

test("the wrapper module is the current source of the version", () => {
  assert.match(kubeVersion(), /^v1\.\d+\.\d+$/);
});
