import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobObject, TaskCollectionObject, TaskObject } from "../../../kube/objects.ts";
import { agentSecretNames, collectionSecretNames, jobSecretNames, taskSecretNames } from "./secret-names.ts";

const ref = (name: string) => ({ credentialsSecretRef: { name, key: "k" } });
const resource = (name: string) => ({ httpUrl: "http://x/f", filePath: "f", ...ref(name) });
const output = (name: string) => ({ filePattern: "*", destination: { container: { containerUrl: "http://x/c", ...ref(name) } }, uploadOptions: { uploadCondition: "TaskCompletion" } });
const task = (spec: object) => ({ metadata: { name: "t", namespace: "ns" }, spec: { jobName: "j", commandLine: "x", ...spec } }) as unknown as TaskObject;
const job = (spec: object) => ({ metadata: { name: "j", namespace: "ns" }, spec: { poolInfo: { poolId: "p" }, ...spec } }) as unknown as JobObject;

describe("taskSecretNames", () => {
  const cases: Record<string, { spec: object; want: string[] }> = {
    "no files": { spec: {}, want: [] },
    "public resource files name none": { spec: { resourceFiles: [{ httpUrl: "http://x/f", filePath: "f" }] }, want: [] },
    "resource and output files": { spec: { resourceFiles: [resource("in")], outputFiles: [output("out")] }, want: ["in", "out"] },
    "one name once": { spec: { resourceFiles: [resource("s"), resource("s")], outputFiles: [output("s")] }, want: ["s"] },
    // Its Pod gets the credentials through secretKeyRef env; it never reaches a node.
    "a container task: none": { spec: { containerSettings: { imageName: "busybox" }, resourceFiles: [resource("in")] }, want: [] },
    "asks for its job's token: the token's Secret": { spec: { authenticationTokenSettings: { access: ["job"] }, resourceFiles: [resource("in")] }, want: ["in", "kubatch-job-j-token"] },
    "the job by its alias jobId": { spec: { jobName: undefined, jobId: "a", authenticationTokenSettings: { access: ["job"] } }, want: ["kubatch-job-a-token"] },
    "empty access: none": { spec: { authenticationTokenSettings: { access: [] } }, want: [] },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.deepEqual(taskSecretNames(task(tc.spec)), tc.want));
});

describe("jobSecretNames", () => {
  const cases: Record<string, { spec: object; want: string[] }> = {
    "no job tasks": { spec: {}, want: [] },
    "preparation and release": { spec: { jobPreparationTask: { commandLine: "x", resourceFiles: [resource("prep")] }, jobReleaseTask: { commandLine: "x", resourceFiles: [resource("rel")] } }, want: ["prep", "rel"] },
    // The agent runs them on the node whatever their containerSettings say.
    "preparation with containerSettings still runs on the node": { spec: { jobPreparationTask: { commandLine: "x", containerSettings: { imageName: "i" }, resourceFiles: [resource("prep")] } }, want: ["prep"] },
    "manager task's files": { spec: { jobManagerTask: { id: "m", commandLine: "x", resourceFiles: [resource("in")], outputFiles: [output("out")] } }, want: ["in", "out"] },
    "a container manager task: none": { spec: { jobManagerTask: { id: "m", commandLine: "x", containerSettings: { imageName: "i" }, resourceFiles: [resource("in")] } }, want: [] },
    "a manager task asking for the job's token": { spec: { jobManagerTask: { id: "m", commandLine: "x", authenticationTokenSettings: { access: ["job"] } } }, want: ["kubatch-job-j-token"] },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.deepEqual(jobSecretNames(job(tc.spec)), tc.want));
});

const collection = (spec: object) => ({ metadata: { name: "c", namespace: "ns" }, spec: { jobName: "j", source: { range: { start: 0, end: 9 } }, task: { commandLine: "x" }, ...spec } }) as unknown as TaskCollectionObject;

describe("collectionSecretNames", () => {
  const cases: Record<string, { spec: object; want: string[] }> = {
    "a range, no files": { spec: {}, want: [] },
    "the items' resource and output files": { spec: { task: { commandLine: "x", resourceFiles: [resource("in")], outputFiles: [output("out")] } }, want: ["in", "out"] },
    // The operator lists the container as the node identity.
    "a blob source's credentials": { spec: { source: { blobs: { containerUrl: "http://x/c", ...ref("list") } } }, want: ["list"] },
    "a public blob source: none": { spec: { source: { blobs: { containerUrl: "http://x/c" } } }, want: [] },
    "items asking for the job's token": { spec: { task: { commandLine: "x", authenticationTokenSettings: { access: ["job"] } } }, want: ["kubatch-job-j-token"] },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.deepEqual(collectionSecretNames(collection(tc.spec)), tc.want));
});

describe("agentSecretNames", () => {
  it("every task's, job's and collection's names, sorted, once", () => {
    const tasks = [task({ resourceFiles: [resource("zeta")] }), task({ outputFiles: [output("alpha")] }), task({})];
    const jobs = [job({ jobPreparationTask: { commandLine: "x", resourceFiles: [resource("zeta"), resource("mid")] } })];
    const collections = [collection({ source: { blobs: { containerUrl: "http://x/c", ...ref("beta") } } })];
    assert.deepEqual(agentSecretNames(tasks, jobs, collections), ["alpha", "beta", "mid", "zeta"]);
  });
});
