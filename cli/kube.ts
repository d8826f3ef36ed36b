// The CLI's view of the cluster: kubeconfig and namespace like kubectl, the job's tasks and
// task collections (paged lists; server-side filtering when the Task CRD offers spec.jobName as
// a field) and a collection's chunks.
import { ApiException, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/group.ts";
import { collectionChunkNames } from "../api/collection-chunk.ts";
import { taskCollectionNames } from "../api/task-collection.ts";
import { workItemNames } from "../api/work-item.ts";
import { mergePatch } from "../kube/apply.ts";
import { loadKubeConfig } from "../kube/kube-config.ts";
import type { CollectionChunkObject, JobObject, PoolObject, TaskCollectionObject, TaskObject, WorkItemObject } from "../kube/objects.ts";
import { CliError } from "./usage.ts";
import { jobNameOf } from "../api/job-name.ts";

export interface Cluster {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  namespace: string;
}

export function connect(opts: { namespace?: string; kubeconfig?: string; context?: string }): Cluster {
  const kc = loadKubeConfig(opts.kubeconfig);
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new CliError(`--context: no context "${opts.context}" in the kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new CliError("no cluster in the kubeconfig: set KUBECONFIG or pass --kubeconfig");
  const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return { kc, custom: kc.makeApiClient(CustomObjectsApi), namespace };
}

export const tasksResource = { group: GROUP, version: VERSION, plural: "tasks" } as const;
export const jobsResource = { group: GROUP, version: VERSION, plural: "jobs" } as const;
export const poolsResource = { group: GROUP, version: VERSION, plural: "pools" } as const;
export const taskCollectionsResource = { group: GROUP, version: VERSION, plural: taskCollectionNames.plural } as const;
export const collectionChunksResource = { group: GROUP, version: VERSION, plural: collectionChunkNames.plural } as const;
export const workItemsResource = { group: GROUP, version: VERSION, plural: workItemNames.plural } as const;

export function taskJob(t: TaskObject): string | undefined {
  return jobNameOf(t.spec);
}

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The API server's message for a failed request (its Status.message), else the error's. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    try {
      const status = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string };
      if (status?.message) return status.message;
    } catch {
      // not JSON: fall through
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** One object of the namespace, or a CliError naming it (`job "j" not found in namespace "ns" (jobs.kubatch.dev)`). */
async function getNamed<T>(c: Cluster, resource: { group: string; version: string; plural: string }, what: string, name: string): Promise<T> {
  try {
    return (await c.custom.getNamespacedCustomObject({ ...resource, namespace: c.namespace, name })) as T;
  } catch (err) {
    if (statusCode(err) === 404) throw new CliError(`${what} "${name}" not found in namespace "${c.namespace}" (${resource.plural}.${resource.group})`);
    throw new CliError(`reading ${what} "${name}": ${apiMessage(err)}`);
  }
}

/** Merge-patches the spec of one object of the namespace (`kubatch job|workitem disable|enable|terminate`), or a CliError naming it. */
export async function patchSpec(c: Cluster, resource: Resource, what: string, name: string, spec: object): Promise<void> {
  try {
    await c.custom.patchNamespacedCustomObject({ ...resource, namespace: c.namespace, name, body: { spec } }, mergePatch);
  } catch (err) {
    throw new CliError(`updating ${what} "${name}": ${apiMessage(err)}`);
  }
}

export const getJob = (c: Cluster, name: string) => getNamed<JobObject>(c, jobsResource, "job", name);
export const getPool = (c: Cluster, name: string) => getNamed<PoolObject>(c, poolsResource, "pool", name);
export const getWorkItem = (c: Cluster, name: string) => getNamed<WorkItemObject>(c, workItemsResource, "work item", name);

export async function getTask(c: Cluster, name: string): Promise<TaskObject> {
  const task = await findTask(c, name);
  if (!task) throw new CliError(`task "${name}" not found in namespace "${c.namespace}" (tasks.kubatch.dev)`);
  return task;
}

/** The Task, or undefined when there is none of that name. */
export async function findTask(c: Cluster, name: string): Promise<TaskObject | undefined> {
  try {
    return (await c.custom.getNamespacedCustomObject({ ...tasksResource, namespace: c.namespace, name })) as TaskObject;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new CliError(`reading task "${name}": ${apiMessage(err)}`);
  }
}

/** `spec.jobName=<job>` when the API server can filter Tasks by it, else undefined (filter here). */
export async function jobFieldSelector(c: Cluster, job: string): Promise<string | undefined> {
  const fieldSelector = `spec.jobName=${job}`;
  try {
    await c.custom.listNamespacedCustomObject({ ...tasksResource, namespace: c.namespace, fieldSelector, limit: 1 });
    return fieldSelector;
  } catch (err) {
    if (statusCode(err) === 400) return undefined;
    throw new CliError(`listing tasks in namespace "${c.namespace}": ${apiMessage(err)}`);
  }
}

type Resource = typeof tasksResource | typeof jobsResource | typeof poolsResource | typeof taskCollectionsResource | typeof collectionChunksResource | typeof workItemsResource;

/** Every object of the namespace's list that `keep` accepts, 1,000 a page, and the list's resourceVersion. */
async function listAll<T>(c: Cluster, resource: Resource, keep: (o: T) => boolean, fieldSelector?: string): Promise<{ items: T[]; resourceVersion: string }> {
  const items: T[] = [];
  let cont: string | undefined;
  let resourceVersion = "";
  do {
    let page: { items: T[]; metadata?: { continue?: string; resourceVersion?: string } };
    try {
      page = (await c.custom.listNamespacedCustomObject({ ...resource, namespace: c.namespace, fieldSelector, limit: 1000, _continue: cont })) as typeof page;
    } catch (err) {
      throw new CliError(`listing ${resource.plural} in namespace "${c.namespace}": ${apiMessage(err)}`);
    }
    for (const o of page.items) if (keep(o)) items.push(o);
    cont = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
  } while (cont);
  return { items, resourceVersion };
}

/** The namespace's jobs (paged). */
export async function listJobs(c: Cluster): Promise<JobObject[]> {
  return (await listAll<JobObject>(c, jobsResource, () => true)).items;
}

/** The namespace's work items (paged). */
export async function listWorkItems(c: Cluster): Promise<WorkItemObject[]> {
  return (await listAll<WorkItemObject>(c, workItemsResource, () => true)).items;
}

/** The namespace's pools (paged). */
export async function listPools(c: Cluster): Promise<PoolObject[]> {
  return (await listAll<PoolObject>(c, poolsResource, () => true)).items;
}


/** Every task of the job (paged), and the resourceVersion to watch from. */
export async function listJobTasks(c: Cluster, job: string, fieldSelector?: string): Promise<{ tasks: TaskObject[]; resourceVersion: string }> {
  const { items, resourceVersion } = await listAll<TaskObject>(c, tasksResource, (t) => taskJob(t) === job, fieldSelector);
  return { tasks: items, resourceVersion };
}

export function collectionJob(tc: TaskCollectionObject): string | undefined {
  return jobNameOf(tc.spec);
}

/** The namespace's task collections, all or only the job's. */
export async function listCollections(c: Cluster, job?: string): Promise<TaskCollectionObject[]> {
  return (await listAll<TaskCollectionObject>(c, taskCollectionsResource, (tc) => job === undefined || collectionJob(tc) === job)).items;
}

/** The chunks of these collections, found by spec.collectionName (chunks carry no label to select by): one list for all. */
export async function listCollectionChunks(c: Cluster, collections: readonly string[]): Promise<CollectionChunkObject[]> {
  const names = new Set(collections);
  if (names.size === 0) return [];
  return (await listAll<CollectionChunkObject>(c, collectionChunksResource, (ch) => names.has(ch.spec?.collectionName ?? ""))).items;
}
