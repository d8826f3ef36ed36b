import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { failpointsVar, makeFailpoint, parseFailpoints } from "./failpoint.ts";

test("parseFailpoints reads name=N entries; a bad entry is refused naming the variable", async (t) => {
  const cases: Record<string, { text: string | undefined; armed?: [string, number][]; error?: RegExp }> = {
    unset: { text: undefined, armed: [] },
    empty: { text: "", armed: [] },
    one: { text: "dispatch.after-assign=5", armed: [["dispatch.after-assign", 5]] },
    "two, spaces and a trailing comma": { text: " a=1 , requeue.between-writes=12,", armed: [["a", 1], ["requeue.between-writes", 12]] },
    "no count": { text: "a", error: /KUBATCH_FAILPOINTS: "a" is not name=N/ },
    "count 0": { text: "a=0", error: /"a=0" is not name=N/ },
    "negative count": { text: "a=-1", error: /"a=-1"/ },
    "not a number": { text: "a=five", error: /"a=five"/ },
    "a fraction": { text: "a=1.5", error: /"a=1.5"/ },
    "no name": { text: "=3", error: /"=3"/ },
    "two equals signs": { text: "a=1=2", error: /"a=1=2"/ },
    "upper case name": { text: "Dispatch=1", error: /"Dispatch=1"/ },
    "armed twice": { text: "a=1,a=2", error: /KUBATCH_FAILPOINTS: failpoint a is armed twice/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      if (tc.error) assert.throws(() => parseFailpoints(tc.text), tc.error);
      else assert.deepEqual([...parseFailpoints(tc.text)], tc.armed);
    });
  }
});

test("a failpoint dies on its armed hit only, and counts each point apart", async (t) => {
  const cases: Record<string, { armed: string; hits: string[]; deaths: string[] }> = {
    "unarmed: never": { armed: "", hits: ["a", "a", "b"], deaths: [] },
    "on the first hit": { armed: "a=1", hits: ["a", "a"], deaths: ["a@1"] },
    "on the third hit, not before or after": { armed: "a=3", hits: ["a", "a", "a", "a", "a"], deaths: ["a@3"] },
    "other points do not count": { armed: "a=2", hits: ["b", "a", "b", "b", "a"], deaths: ["a@2"] },
    "never reached": { armed: "a=4", hits: ["a", "a", "a"], deaths: [] },
    "two armed points": { armed: "a=2,b=1", hits: ["a", "b", "a"], deaths: ["b@1", "a@2"] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const deaths: string[] = [];
      const failpoint = makeFailpoint(parseFailpoints(tc.armed), (point, hit) => deaths.push(`${point}@${hit}`));
      for (const h of tc.hits) failpoint(h);
      assert.deepEqual(deaths, tc.deaths);
    });
  }
});

test("armed through the environment, the process is SIGKILLed at that hit and says so on stderr", async (t) => {
  const script = `import { failpoint } from ${JSON.stringify(new URL("./failpoint.ts", import.meta.url).href)};
for (let i = 1; i <= 3; i++) { console.log("before " + i); failpoint("x.y"); }
console.log("done");`;
  const run = (armed?: string) =>
    spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, [failpointsVar]: armed }, timeout: 30_000 });
  await t.test("armed for the 2nd hit", () => {
    const r = run("x.y=2");
    assert.equal(r.signal, "SIGKILL");
    assert.equal(r.stdout, "before 1\nbefore 2\n");
    assert.match(r.stderr, /failpoint x\.y: hit 2, SIGKILL/);
  });
  await t.test("unarmed", () => {
    const r = run(undefined);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "before 1\nbefore 2\nbefore 3\ndone\n");
  });
  await t.test("badly armed: refused at start", () => {
    const r = run("x.y");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /KUBATCH_FAILPOINTS: "x\.y" is not name=N/);
  });
});
