// Creating and reading kubatch objects in the e2e suites.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { forEachBounded } from "../../../kube/bounded.ts";
import { mergePatch } from "../../../kube/apply.ts";
import { eventually } from "../../../local-cluster/probe.ts";
import type { JobStatus } from "../../../api/job.ts";
import type { PoolStatus } from "../../../api/pool.ts";
import type { TaskStatus } from "../../../api/task.ts";

const group = "kubatch.dev";
const version = "v1alpha1";

export type Obj<S> = { metadata: { name: string; namespace: string; labels?: Record<string, string>; uid: string; resourceVersion: string }; spec: Record<string, unknown>; status?: S };

export class Kubatch {
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  constructor(kc: KubeConfig, namespace: string) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
  }

  create(kind: "Pool" | "Job" | "Task" | "WorkItem" | "TaskCollection", name: string, spec: object, labels?: Record<string, string>): Promise<unknown> {
    return this.custom.createNamespacedCustomObject({
      group,
      version,
      namespace: this.namespace,
      plural: `${kind.toLowerCase()}s`,
      body: { apiVersion: `${group}/${version}`, kind, metadata: { name, labels }, spec },
    });
  }

  /** Creates many objects with bounded concurrency. */
  async createMany(kind: "Task", items: { name: string; spec: object; labels?: Record<string, string> }[], inFlight = 32): Promise<void> {
    await forEachBounded(items, inFlight, async (t) => void (await this.create(kind, t.name, t.spec, t.labels)));
  }

  /** Creates a Pool (vmSize small) of `nodes` dedicated nodes and waits, bounded, until all are idle. */
  async warmPool(name: string, nodes: number, spec: object = {}, ms = 120_000): Promise<void> {
    await this.create("Pool", name, { vmSize: "small", targetDedicatedNodes: nodes, ...spec });
    await eventually(`${nodes} idle nodes in pool ${name}`, ms, async () => ((await this.pool(name)).status?.nodeCounts?.idle === nodes ? true : undefined), async () => JSON.stringify((await this.pool(name)).status?.nodeCounts));
  }

  async pool(name: string): Promise<Obj<PoolStatus>> {
    return (await this.custom.getNamespacedCustomObject({ group, version, namespace: this.namespace, plural: "pools", name })) as Obj<PoolStatus>;
  }

  async job(name: string): Promise<Obj<JobStatus>> {
    return (await this.custom.getNamespacedCustomObject({ group, version, namespace: this.namespace, plural: "jobs", name })) as Obj<JobStatus>;
  }

  async task(name: string): Promise<Obj<TaskStatus>> {
    return (await this.custom.getNamespacedCustomObject({ group, version, namespace: this.namespace, plural: "tasks", name })) as Obj<TaskStatus>;
  }

  /** Waits, bounded, until the Task exists and is Completed (a task another program adds may not exist yet). */
  async completedTask(name: string, ms = 90_000): Promise<Obj<TaskStatus>> {
    return eventually(`task ${name} completed`, ms, async () => {
      const t = await this.task(name).catch(() => undefined);
      return t?.status?.state === "Completed" ? t : undefined;
    });
  }

  async tasks(labelSelector?: string): Promise<Obj<TaskStatus>[]> {
    return ((await this.custom.listNamespacedCustomObject({ group, version, namespace: this.namespace, plural: "tasks", labelSelector })) as { items: Obj<TaskStatus>[] }).items;
  }

  async patchSpec(plural: string, name: string, spec: object): Promise<void> {
    await this.custom.patchNamespacedCustomObject({ group, version, namespace: this.namespace, plural, name, body: { spec } }, mergePatch);
  }
}
