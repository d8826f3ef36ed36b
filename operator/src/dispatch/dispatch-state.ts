import type { Condition } from "../../../api/conditions.ts";
import { jobPreparationTaskFailed } from "../../../api/failure-codes.ts";
import type { ExitConditions } from "../../../api/exit-conditions.ts";
import { resolveExitOptions, type DependencyAction, type JobAction } from "../job/exit-options.ts";
import { integerTaskId } from "../../../api/task-dependencies.ts";
import { collectionItemIndex } from "../../../api/task-collection.ts";
import { findCycles } from "./dependency-cycles.ts";
import { IntegerTaskIds } from "./integer-task-ids.ts";
import type { SchedulingDisableOption } from "../../../api/labels.ts";
import type { PoolStatus } from "../../../api/pool.ts";

// What the scheduler knows, kept up to date from the informers, and the plan it makes (pure,
// no I/O). Slots are counted from assignments (the node label) of tasks that have not
// completed, including assignments this process has written but not yet seen come back.

/** A node's recent task, as its status lists it (Azure Batch's TaskInformation). */
export type RecentTask = NonNullable<NonNullable<PoolStatus["nodes"]>[number]["recentTasks"]>[number];
/** How many a node's status lists. */
export const recentTasksMax = 5;

export type TaskEntry = {
  key: string;
  /** metadata.uid: what a job's retiringTasks names (a new task of the same name is another). */
  uid?: string;
  namespace: string;
  name: string;
  jobKey: string;
  resourceVersion: string;
  created: string;
  requiredSlots: number;
  /** The node label, if assigned. */
  node?: string;
  completed: boolean;
  /** status.state and status.executionInfo.result, for job counts. */
  state: "Active" | "Preparing" | "Running" | "Completed";
  result?: "Success" | "Failure";
  requeueCount: number;
  /** The node the task last reported running on (status.nodeInfo.nodeId). */
  reportedNode?: string;
  affinityNode?: string;
  /** The spec failed validation: never scheduled until it is fixed. */
  invalid?: boolean;
  /** spec.id (default metadata.name): what other tasks' dependsOn names. */
  id?: string;
  dependsOn?: { taskIds?: string[]; taskIdRanges?: { start: number; end: number }[]; taskCollections?: { name: string; start?: number; end?: number }[] };
  /** Not completed and asked to terminate (its annotation): the reason, maybe empty. Never started; ended by the scheduler. */
  terminateReason?: string;
  /** spec.containerSettings is set: the task runs as its own Pod, never on a pool node. */
  runsInPod?: boolean;
  /** Runs on dedicated nodes only (a job manager task with allowLowPriorityNode false). */
  dedicatedOnly?: boolean;
  /** For a completed task: whether its dependents may run (its exit conditions' dependencyAction). */
  dependencyAction?: DependencyAction;
  /** For a completed task: the job action its exit conditions ask for, until it was applied. */
  jobAction?: JobAction;
  exitCode?: number;
  /** status.executionInfo.failureInfo.code of a completed task. */
  failureCode?: string;
  /** status.executionInfo.endTime of a completed task. */
  endTime?: string;
  /** For a completed single task: when its constraints.retentionTime runs out and the Task is deleted (ms). */
  retireAt?: number;
  /** metadata.generation, for the observedGeneration of the conditions the scheduler writes. */
  generation?: number;
  /** No ownerReferences: its job adopts it (an owner reference, so deleting the job deletes it). */
  unowned?: boolean;
  /** The uid of the Job that owns it (its controller owner reference). */
  ownerUid?: string;
  /** status.preparationFailedNodes: nodes whose agent gave the task back (the job's preparation failed there). */
  prepFailedNodes?: string[];
  /** status.conditions as cached: what a waiting task was already told (blocked-explanation.ts). */
  conditions?: Condition[];
  /**
   * Set for a CollectionChunk (scheduled like a task, one slot lane for its items): its items'
   * counts, which the job's task counts hold instead of the chunk. Never in the id index.
   */
  chunk?: ChunkItems;
};

/**
 * A chunk's items: the first one's index, how many, how many done (in order), and of those how
 * many succeeded and failed (the indexes of those its status lists, and how many it does not);
 * its collection's key.
 */
export type ChunkItems = {
  start?: number;
  count: number;
  done: number;
  succeeded: number;
  failed: number;
  /** The failed items the chunk's status lists (at most 50), in order. */
  failures?: ItemFailure[];
  failuresNotListed?: number;
  /** How many of `failures` had their job action applied (the chunk's annotation). */
  actionsApplied?: number;
  collection: string;
  /** The uid of the collection that owns the chunk: a collection created again under the same name owns none of its predecessor's. */
  collectionUid?: string;
};

/** A failed item as a chunk lists it: what its exit conditions are matched against. */
export type ItemFailure = { index: number; id: string; exitCode?: number; failureCode?: string };

/** A listed failed item whose exit conditions ask its job for an action not applied yet. */
export type ItemJobAction = { chunk: TaskEntry; failure: ItemFailure; jobAction: "Disable" | "Terminate"; listed: number };

/**
 * A TaskCollection as the job's counts and its dependents need it: its job, its items' id
 * prefix, and how many chunks it is cut into once all exist (status.chunkCount).
 */
export type CollectionEntry = { key: string; uid?: string; jobKey: string; idPrefix?: string; chunkCount?: number; exitConditions?: ExitConditions; resourceVersion?: string; unowned?: boolean };

/** A collection's chunks are found by its key and uid together. */
const ownedKey = (key: string, uid: string | undefined) => `${key}@${uid ?? ""}`;

/** Whether items of a collection let a dependent run: all completed with success, one did not succeed, some not completed (or not cut yet), or no such items. */
type ItemsState = "satisfied" | "failed" | "waiting" | "missing";

export type JobEntry = {
  key: string;
  poolKey: string;
  priority: number;
  maxParallelTasks: number;
  created: string;
  /** Whether new tasks may start (job Active, not disabled or terminated). */
  schedulable: boolean;
  /** spec.usesTaskDependencies: without it a task's dependsOn is refused. */
  usesTaskDependencies?: boolean;
  /** metadata.uid: the owner reference the job's unowned tasks get with their assignment. */
  uid?: string;
};

export type BlockReason = "DependenciesNotEnabled" | "DependencyCycle" | "DependencyFailed" | "DependencyMissing" | "DependenciesNotMet" | "JobPreparationTaskFailed" | "JobNotFound" | "JobCompleted" | "NoDedicatedNode";

/** A pending task that may not run yet, and why (for its Schedulable=False condition). */
export type BlockedTask = { task: TaskEntry; reason: BlockReason; message: string };

export type NodeEntry = {
  key: string;
  name: string;
  poolKey: string;
  /** May take new tasks: ready, not leaving, scheduling not disabled. */
  usable: boolean;
  lowPriority?: boolean;
  /** Scheduling disabled, and what happens to its running tasks. */
  schedulingDisabled?: SchedulingDisableOption;
};

export type PoolEntry = { key: string; slotsPerNode: number; fill: "Spread" | "Pack" };

export type Assignment = { task: TaskEntry; node: string };

/** A job's tasks by state, kept up to date on every change (never recounted). */
export type JobTaskCounts = {
  active: number;
  running: number;
  succeeded: number;
  failed: number;
  assigned: number;
  inFlight: number;
  total: number;
  /** The job's collections whose chunks are not all here (being listed or cut): their items are not all counted yet. */
  uncutCollections?: number;
};

const emptyCounts = (): JobTaskCounts => ({ active: 0, running: 0, succeeded: 0, failed: 0, assigned: 0, inFlight: 0, total: 0 });

/** Started or about to start: assigned to a node, or a container task whose Pod runs. Ending a job waits for these. */
const inFlight = (t: TaskEntry) => !t.completed && (t.node !== undefined || (t.runsInPod === true && t.state !== "Active"));

function bucket(t: TaskEntry): "active" | "running" | "succeeded" | "failed" {
  if (t.completed) return t.result === "Success" ? "succeeded" : "failed";
  return t.state === "Running" || t.state === "Preparing" ? "running" : "active";
}

/**
 * What an entry adds to its job's counts: one task in its bucket, or a chunk's items — one
 * running while the chunk runs, the rest not done active (also after the job ended it early,
 * as unstarted single tasks stay Active), the done ones as reported.
 */
export function itemCounts(t: TaskEntry): Pick<JobTaskCounts, "active" | "running" | "succeeded" | "failed" | "total"> {
  const c = { active: 0, running: 0, succeeded: 0, failed: 0, total: 1 };
  if (!t.chunk) {
    c[bucket(t)] = 1;
    return c;
  }
  const { count, done, succeeded, failed } = t.chunk;
  const left = Math.max(0, count - done);
  const running = !t.completed && t.state === "Running" && left > 0 ? 1 : 0;
  return { active: left - running, running, succeeded, failed, total: count };
}

const byKey = <T>(map: Map<string, Set<T>>, key: string): Set<T> => {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
};

/** How a message names a dependency on a collection's items: `collection sweep` (all of them), `collection sweep items 10..19`. */
const collectionItemsLabel = (c: { name: string; start?: number; end?: number }) =>
  c.start === undefined && c.end === undefined ? `collection ${c.name}` : `collection ${c.name} items ${c.start ?? 0}..${c.end ?? ""}`;

const byKeyMap = <T>(map: Map<string, Map<string, T>>, key: string): Map<string, T> => {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
};

export class DispatchState {
  readonly tasks = new Map<string, TaskEntry>();
  readonly jobs = new Map<string, JobEntry>();
  readonly nodes = new Map<string, NodeEntry>();
  readonly pools = new Map<string, PoolEntry>();
  private readonly pendingByJob = new Map<string, Set<string>>();
  private readonly assignedByNode = new Map<string, Set<string>>();
  private readonly counts = new Map<string, JobTaskCounts>();
  /** jobKey → task id → task key, for dependencies. */
  private readonly byId = new Map<string, Map<string, string>>();
  /** jobKey → the integer ids among byId's, for taskIdRanges. */
  private readonly integerIds = new Map<string, IntegerTaskIds>();
  /** Each job's pending tasks in creation order, rebuilt only after a task was added. */
  private readonly pendingOrder = new Map<string, TaskEntry[]>();
  private readonly inFlightByJob = new Map<string, Set<string>>();
  /** Container tasks not completed, per job: never pending here, but part of the dependency graph. */
  private readonly podTasksByJob = new Map<string, Set<string>>();
  /** Per node (`namespace/name`): the tasks whose state last changed there, newest first (noteRecent). */
  private readonly recentByNode = new Map<string, RecentTask[]>();
  /** Per node (`namespace/name`): the tasks and items seen completing there (countRun). */
  private readonly ranByNode = new Map<string, { run: number; succeeded: number }>();
  /** Completed tasks whose exit conditions ask for a job action not yet applied. */
  private readonly actionsByJob = new Map<string, Set<string>>();
  /** jobKey → nodes where the job's preparation task failed (count of tasks that say so). */
  private readonly prepFailed = new Map<string, Map<string, number>>();
  /** Tasks on dependency cycles per job, computed when first asked after the job's graph changed. */
  private readonly cycles = new Map<string, Map<string, string[]>>();
  /** Completed tasks with a retireAt, per job. */
  private readonly retainedByJob = new Map<string, Set<string>>();
  /** The earliest retireAt per job; absent when it must be recomputed (its holder left). */
  private readonly nextRetire = new Map<string, number>();
  /** jobKey → its collections. */
  private readonly collectionsByJob = new Map<string, Map<string, CollectionEntry>>();
  /** jobKey → its single tasks without any owner reference (the job adopts them). */
  private readonly unownedByJob = new Map<string, Set<string>>();
  /** collection (ownedKey) → the keys of its chunks here. */
  private readonly chunksHere = new Map<string, Set<string>>();
  /** Tasks asked to terminate, not yet completed (few: a set over all jobs). */
  private readonly terminating = new Set<string>();

  upsertTask(entry: TaskEntry): void {
    const old = this.tasks.get(entry.key);
    // Only a new task or a changed dependsOn can make a cycle; completions never do.
    if (entry.dependsOn && (!old || JSON.stringify(old.dependsOn) !== JSON.stringify(entry.dependsOn))) this.cycles.delete(entry.jobKey);
    this.removeTaskIndexes(entry.key);
    this.tasks.set(entry.key, entry);
    this.count(entry, 1);
    if (entry.chunk) byKey(this.chunksHere, ownedKey(entry.chunk.collection, entry.chunk.collectionUid)).add(entry.key);
    else {
      let ids = this.byId.get(entry.jobKey);
      if (!ids) this.byId.set(entry.jobKey, (ids = new Map()));
      ids.set(entry.id ?? entry.name, entry.key);
      let integers = this.integerIds.get(entry.jobKey);
      if (!integers) this.integerIds.set(entry.jobKey, (integers = new IntegerTaskIds()));
      integers.add(entry.id ?? entry.name);
    }
    if (entry.unowned && !entry.chunk) byKey(this.unownedByJob, entry.jobKey).add(entry.key);
    if (entry.terminateReason !== undefined && !entry.completed) this.terminating.add(entry.key);
    if (entry.completed && entry.jobAction && entry.jobAction !== "None") byKey(this.actionsByJob, entry.jobKey).add(entry.key);
    if (entry.completed && entry.retireAt !== undefined && !entry.chunk) {
      byKey(this.retainedByJob, entry.jobKey).add(entry.key);
      const next = this.nextRetire.get(entry.jobKey);
      if (next !== undefined && entry.retireAt < next) this.nextRetire.set(entry.jobKey, entry.retireAt);
    }
    if (inFlight(entry)) byKey(this.inFlightByJob, entry.jobKey).add(entry.key);
    this.countRun(old, entry);
    this.noteRecent(old, entry);
    if (entry.runsInPod && !entry.completed) byKey(this.podTasksByJob, entry.jobKey).add(entry.key);
    if (entry.completed || entry.runsInPod) return;
    if (entry.node) byKey(this.assignedByNode, `${entry.namespace}/${entry.node}`).add(entry.key);
    else if (!entry.invalid && entry.terminateReason === undefined) {
      byKey(this.pendingByJob, entry.jobKey).add(entry.key);
      this.pendingOrder.delete(entry.jobKey);
    }
  }

  private count(t: TaskEntry, delta: 1 | -1): void {
    let c = this.counts.get(t.jobKey);
    if (!c) this.counts.set(t.jobKey, (c = emptyCounts()));
    const items = itemCounts(t);
    c.active += delta * items.active;
    c.running += delta * items.running;
    c.succeeded += delta * items.succeeded;
    c.failed += delta * items.failed;
    c.total += delta * items.total;
    if (t.node && !t.completed) c.assigned += delta;
    for (const node of preparationFailedOn(t)) {
      let nodes = this.prepFailed.get(t.jobKey);
      if (!nodes) this.prepFailed.set(t.jobKey, (nodes = new Map()));
      const n = (nodes.get(node) ?? 0) + delta;
      if (n > 0) nodes.set(node, n);
      else nodes.delete(node);
      if (nodes.size === 0) this.prepFailed.delete(t.jobKey);
    }
  }

  /** The job's task counts, exact for what the informers have reported. */
  countsOfJob(jobKey: string): JobTaskCounts {
    const counts = { ...(this.counts.get(jobKey) ?? emptyCounts()), inFlight: this.inFlightByJob.get(jobKey)?.size ?? 0 };
    const uncut = this.uncutCollections(jobKey);
    return uncut > 0 ? { ...counts, uncutCollections: uncut } : counts;
  }

  upsertCollection(entry: CollectionEntry): void {
    this.deleteCollection(entry.key);
    byKeyMap(this.collectionsByJob, entry.jobKey).set(entry.key, entry);
  }

  deleteCollection(key: string): void {
    for (const [jobKey, of] of this.collectionsByJob) if (of.delete(key) && of.size === 0) this.collectionsByJob.delete(jobKey);
  }

  /** The job's collections not cut into all their chunks yet, as far as the caches tell. */
  private uncutCollections(jobKey: string): number {
    let n = 0;
    for (const c of this.collectionsByJob.get(jobKey)?.values() ?? []) if (!this.allChunksHere(c)) n++;
    return n;
  }

  private allChunksHere(c: CollectionEntry): boolean {
    return c.chunkCount !== undefined && (this.chunksHere.get(ownedKey(c.key, c.uid))?.size ?? 0) >= c.chunkCount;
  }

  /**
   * Items start..end (default: all) of the job's collection `name`, from its chunks' reports. A
   * failure counts when the chunk lists it in the range, or when the chunk has failures it does
   * not list (more than 50) and overlaps the range: then it may be one (a dependent is blocked).
   */
  private collectionItems(jobKey: string, name: string, start = 0, end?: number): ItemsState {
    const c = this.collectionsByJob.get(jobKey)?.get(`${jobKey.split("/")[0]}/${name}`);
    if (!c) return "missing";
    let covered = 0;
    let waiting = false;
    for (const key of this.chunksHere.get(ownedKey(c.key, c.uid)) ?? []) {
      const ch = this.tasks.get(key)?.chunk;
      if (!ch) continue;
      const first = ch.start ?? 0;
      const lo = Math.max(start, first);
      const hi = Math.min(end ?? Infinity, first + ch.count - 1);
      if (lo > hi) continue;
      covered += hi - lo + 1;
      if (first + ch.done - 1 < hi) waiting = true;
      if (ch.failed > 0 && ((ch.failuresNotListed ?? 0) > 0 || ch.failures?.some((f) => f.index >= lo && f.index <= hi))) return "failed";
    }
    if (waiting) return "waiting";
    if (!this.allChunksHere(c)) return end === undefined || covered < end - start + 1 ? "waiting" : "satisfied";
    // Cut whole: a range that starts past the last item names none.
    if (end === undefined) return covered === 0 && start > 0 ? "missing" : "satisfied";
    return covered === end - start + 1 ? "satisfied" : "missing";
  }

  /** The job's collection whose items' ids `<idPrefix>-<i>` include `id`, with i. */
  private collectionItemOf(jobKey: string, id: string): { name: string; index: number } | undefined {
    for (const c of this.collectionsByJob.get(jobKey)?.values() ?? []) {
      const index = c.idPrefix === undefined ? undefined : collectionItemIndex(c.idPrefix, id);
      if (index !== undefined) return { name: c.key.split("/")[1] ?? "", index };
    }
    return undefined;
  }

  /**
   * Up to `max` of the job's tasks and collections that have no owner reference yet, for the
   * job to adopt: of the tasks those completed, or not assigned and created before `waitingSince` (ms).
   */
  unownedOfJob(jobKey: string, max: number, waitingSince: number): { tasks: TaskEntry[]; collections: CollectionEntry[]; earliestWaiting?: number } {
    const tasks: TaskEntry[] = [];
    /** The creation (ms) of the oldest waiting task not old enough yet: when to look again. */
    let earliestWaiting: number | undefined;
    for (const key of this.unownedByJob.get(jobKey) ?? []) {
      if (tasks.length >= max) break;
      const t = this.tasks.get(key);
      if (!t || (t.node && !t.completed)) continue;
      const created = Date.parse(t.created);
      if (t.completed || created < waitingSince) tasks.push(t);
      else if (earliestWaiting === undefined || created < earliestWaiting) earliestWaiting = created;
    }
    const collections = [...(this.collectionsByJob.get(jobKey)?.values() ?? [])].filter((c) => c.unowned).slice(0, max);
    return { tasks, collections, ...(earliestWaiting !== undefined ? { earliestWaiting } : {}) };
  }

  /** The tasks of the job the informers have reported, one per task id (through the id index). */
  tasksOfJob(jobKey: string): TaskEntry[] {
    return [...(this.byId.get(jobKey)?.values() ?? [])].map((k) => this.tasks.get(k)!).filter(Boolean);
  }

  deleteTask(key: string): void {
    const old = this.tasks.get(key);
    if (old) this.cycles.delete(old.jobKey);
    this.removeTaskIndexes(key);
    this.tasks.delete(key);
  }

  private removeTaskIndexes(key: string): void {
    const old = this.tasks.get(key);
    if (!old) return;
    this.count(old, -1);
    this.terminating.delete(key);
    if (old.chunk) {
      const owner = ownedKey(old.chunk.collection, old.chunk.collectionUid);
      const here = this.chunksHere.get(owner);
      if (here?.delete(key) && here.size === 0) this.chunksHere.delete(owner);
    } else {
      this.byId.get(old.jobKey)?.delete(old.id ?? old.name);
      this.integerIds.get(old.jobKey)?.delete(old.id ?? old.name);
    }
    this.pendingByJob.get(old.jobKey)?.delete(key);
    const unowned = this.unownedByJob.get(old.jobKey);
    if (unowned?.delete(key) && unowned.size === 0) this.unownedByJob.delete(old.jobKey);
    this.actionsByJob.get(old.jobKey)?.delete(key);
    if (this.retainedByJob.get(old.jobKey)?.delete(key) && old.retireAt === this.nextRetire.get(old.jobKey)) this.nextRetire.delete(old.jobKey);
    this.inFlightByJob.get(old.jobKey)?.delete(key);
    this.podTasksByJob.get(old.jobKey)?.delete(key);
    if (old.node) this.assignedByNode.get(`${old.namespace}/${old.node}`)?.delete(key);
  }

  /**
   * Counts what an update shows newly done on the entry's node: a task that completed, a
   * chunk's items finished since the entry before (a requeued chunk's earlier items stay with
   * the node that ran them). Only grows: a task deleted later (retentionTime) was still run.
   * An entry first seen done (an operator start) counts on the node it names.
   */
  private countRun(old: TaskEntry | undefined, t: TaskEntry): void {
    if (!t.node) return;
    const ran = t.chunk ? t.chunk.done - (old?.chunk?.done ?? 0) : t.completed && !old?.completed ? 1 : 0;
    if (ran <= 0) return;
    const succeeded = t.chunk ? Math.max(0, t.chunk.succeeded - (old?.chunk?.succeeded ?? 0)) : t.result === "Success" ? 1 : 0;
    const key = `${t.namespace}/${t.node}`;
    const was = this.ranByNode.get(key) ?? { run: 0, succeeded: 0 };
    this.ranByNode.set(key, { run: was.run + ran, succeeded: was.succeeded + succeeded });
  }

  private noteRecent(old: TaskEntry | undefined, t: TaskEntry): void {
    const node = t.node ?? t.reportedNode;
    if (t.chunk || !node || (old?.state === t.state && old?.node === t.node) || t.state === "Active") return;
    const key = `${t.namespace}/${node}`;
    const taskId = t.id ?? t.name;
    const jobId = t.jobKey.slice(t.namespace.length + 1);
    const entry: RecentTask = { jobId, taskId, taskState: t.state, ...(t.completed && t.exitCode !== undefined ? { exitCode: t.exitCode } : {}), ...(t.completed && t.result ? { result: t.result } : {}) };
    const list = (this.recentByNode.get(key) ?? []).filter((r) => r.jobId !== jobId || r.taskId !== taskId);
    this.recentByNode.set(key, [entry, ...list].slice(0, recentTasksMax));
  }

  /** The tasks whose state last changed on a node (`namespace/name`) since this operator started, newest first. */
  recentTasksOnNode(nodeKey: string): readonly RecentTask[] {
    return this.recentByNode.get(nodeKey) ?? [];
  }

  /** Tasks (and collection items) that completed on a node (`namespace/name`) since this operator started, and how many of them succeeded. */
  tasksRunOnNode(nodeKey: string): { run: number; succeeded: number } {
    return this.ranByNode.get(nodeKey) ?? { run: 0, succeeded: 0 };
  }

  /** The job's tasks that started or are about to (see inFlight): what ending or disabling the job acts on. */
  inFlightTasksOfJob(jobKey: string): TaskEntry[] {
    return [...(this.inFlightByJob.get(jobKey) ?? [])].map((k) => this.tasks.get(k)!).filter(Boolean);
  }

  /** Completed tasks of the job whose exit conditions ask for a job action not yet applied. */
  jobActionTasks(jobKey: string): TaskEntry[] {
    return [...(this.actionsByJob.get(jobKey) ?? [])].map((k) => this.tasks.get(k)!).filter(Boolean);
  }

  /**
   * The job's collection items whose exit conditions (the collection's template) ask for a job
   * action not applied yet: the failures its chunks list past their `actionsApplied`. A
   * chunk lists at most 50; the actions of failures beyond them are not seen.
   */
  jobActionItems(jobKey: string): ItemJobAction[] {
    const out: ItemJobAction[] = [];
    for (const c of this.collectionsByJob.get(jobKey)?.values() ?? []) {
      for (const key of this.chunksHere.get(ownedKey(c.key, c.uid)) ?? []) {
        const chunk = this.tasks.get(key);
        const failures = chunk?.chunk?.failures ?? [];
        for (const failure of failures.slice(chunk?.chunk?.actionsApplied ?? 0)) {
          const { jobAction } = resolveExitOptions(c.exitConditions, { result: "Failure", ...(failure.exitCode !== undefined ? { exitCode: failure.exitCode } : {}), ...(failure.failureCode ? { failureCode: failure.failureCode } : {}) });
          if (jobAction !== "None") out.push({ chunk: chunk!, failure, jobAction, listed: failures.length });
        }
      }
    }
    return out;
  }

  /** The earliest time a completed task of the job is due for deletion (constraints.retentionTime), or undefined. */
  nextRetirement(jobKey: string): number | undefined {
    const known = this.nextRetire.get(jobKey);
    if (known !== undefined) return known;
    let next: number | undefined;
    for (const key of this.retainedByJob.get(jobKey) ?? []) {
      const at = this.tasks.get(key)?.retireAt;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    if (next !== undefined) this.nextRetire.set(jobKey, next);
    return next;
  }

  /**
   * Completed tasks of the job whose retentionTime ran out by `nowMs` (up to `limit`), except
   * those a task that has not started depends on (their completion is what lets it run) and,
   * while `jobActionsPending` (the job applies exit conditions' job actions and has not ended),
   * those whose job action is not applied yet.
   */
  retirementCandidates(jobKey: string, nowMs: number, limit: number, jobActionsPending = false): TaskEntry[] {
    const next = this.nextRetirement(jobKey);
    if (next === undefined || next > nowMs) return [];
    const ids = new Set<string>();
    const ranges: { start: number; end: number }[] = [];
    for (const keys of [this.pendingByJob.get(jobKey), this.podTasksByJob.get(jobKey)]) {
      for (const key of keys ?? []) {
        const deps = this.tasks.get(key)?.dependsOn;
        for (const id of deps?.taskIds ?? []) ids.add(id);
        ranges.push(...(deps?.taskIdRanges ?? []));
      }
    }
    const needed = (t: TaskEntry) => {
      const id = t.id ?? t.name;
      if (ids.has(id)) return true;
      const n = integerTaskId(id);
      return n !== undefined && ranges.some((r) => n >= r.start && n <= r.end);
    };
    const out: TaskEntry[] = [];
    for (const key of this.retainedByJob.get(jobKey) ?? []) {
      const t = this.tasks.get(key);
      if (!t || t.retireAt === undefined || t.retireAt > nowMs || (jobActionsPending && t.jobAction && t.jobAction !== "None") || needed(t)) continue;
      out.push(t);
      if (out.length >= limit) break;
    }
    return out;
  }

  upsertJob(job: JobEntry): void {
    this.jobs.set(job.key, job);
  }

  deleteJob(key: string): void {
    this.jobs.delete(key);
  }

  upsertNode(node: NodeEntry): void {
    this.nodes.set(node.key, node);
  }

  deleteNode(key: string): void {
    this.nodes.delete(key);
    this.ranByNode.delete(key);
    this.recentByNode.delete(key);
  }

  upsertPool(pool: PoolEntry): void {
    this.pools.set(pool.key, pool);
  }

  deletePool(key: string): void {
    this.pools.delete(key);
  }

  /** Tasks (and chunks' items) waiting for a node in a pool's schedulable jobs. */
  pendingCount(poolKey: string): number {
    let n = 0;
    for (const job of this.jobs.values()) {
      if (job.poolKey !== poolKey || !job.schedulable) continue;
      for (const key of this.pendingByJob.get(job.key) ?? []) {
        const entry = this.tasks.get(key);
        n += entry?.chunk ? itemCounts(entry).active : 1;
      }
    }
    return n;
  }


  /**
   * A pool's queue as its autoscale formula samples it ($ActiveTasks, $RunningTasks): the
   * waiting tasks and chunks' items of its schedulable jobs, and what runs — container tasks,
   * which run as Pods of their own, included, as Azure counts every task of the pool's jobs.
   */
  poolQueue(poolKey: string): { active: number; running: number } {
    let active = this.pendingCount(poolKey);
    let running = 0;
    for (const job of this.jobs.values()) {
      if (job.poolKey !== poolKey) continue;
      running += this.activeAssignments(job.key);
      for (const key of this.podTasksByJob.get(job.key) ?? []) {
        const t = this.tasks.get(key);
        if (!t || t.completed) continue;
        if (bucket(t) === "running") running++;
        else if (job.schedulable) active++;
      }
    }
    return { active, running };
  }

  /** Assigned, not completed tasks on a node (`namespace/name`). */
  tasksOnNode(nodeKey: string): TaskEntry[] {
    return [...(this.assignedByNode.get(nodeKey) ?? [])].map((k) => this.tasks.get(k)!).filter(Boolean);
  }

  usedSlots(nodeKey: string): number {
    let used = 0;
    for (const t of this.tasksOnNode(nodeKey)) used += t.requiredSlots;
    return used;
  }

  /**
   * The dependencies of a task that do not let it run yet (Azure Batch: a dependency is met
   * when that task completed and its dependencyAction is Satisfy); empty when it may run.
   */
  unmetDependencies(task: TaskEntry, limit = 10): string[] {
    return this.dependencyStatus(task, limit).unmet;
  }

  /** Unmet dependencies (up to limit) and, among them, the blocking failed and the missing ones. */
  dependencyStatus(task: TaskEntry, limit = 10): { unmet: string[]; failed: string[]; missing: string[] } {
    const deps = task.dependsOn;
    const unmet: string[] = [];
    const failed: string[] = [];
    const missing: string[] = [];
    if (!deps) return { unmet, failed, missing };
    const ids = this.byId.get(task.jobKey);
    const items = (label: string, state: ItemsState) => {
      if (state === "satisfied") return true;
      unmet.push(label);
      if (state === "missing") missing.push(label);
      else if (state === "failed") failed.push(label);
      return unmet.length < limit;
    };
    const check = (id: string) => {
      const key = ids?.get(id);
      const t = key ? this.tasks.get(key) : undefined;
      if (t?.completed && t.dependencyAction === "Satisfy") return true;
      // Not a Task: maybe an item of one of the job's collections.
      const item = t ? undefined : this.collectionItemOf(task.jobKey, id);
      if (item) return items(id, this.collectionItems(task.jobKey, item.name, item.index, item.index));
      unmet.push(id);
      if (!t) missing.push(id);
      else if (t.completed) failed.push(id);
      return unmet.length < limit;
    };
    for (const id of deps.taskIds ?? []) if (!check(id)) return { unmet, failed, missing };
    for (const c of deps.taskCollections ?? []) {
      if (!items(collectionItemsLabel(c), this.collectionItems(task.jobKey, c.name, c.start, c.end))) return { unmet, failed, missing };
    }
    // A range is walked over the ids that exist in it; the gaps between them are missing ids,
    // and at most `limit` of those are visited.
    const integers = this.integerIds.get(task.jobKey);
    for (const r of deps.taskIdRanges ?? []) {
      let next = r.start;
      for (const n of integers?.inRange(r.start, r.end) ?? []) {
        while (next < n) if (!check(String(next++))) return { unmet, failed, missing };
        if (!check(String(n))) return { unmet, failed, missing };
        next = n + 1;
      }
      while (next <= r.end) if (!check(String(next++))) return { unmet, failed, missing };
    }
    return { unmet, failed, missing };
  }

  /** Tasks of the job that wait on each other, with the members of their cycle. */
  private cyclesOf(jobKey: string): Map<string, string[]> {
    let found = this.cycles.get(jobKey);
    if (found) return found;
    const nodes: { id: string; deps: Iterable<string> }[] = [];
    for (const keys of [this.pendingByJob.get(jobKey), this.podTasksByJob.get(jobKey)]) {
      for (const key of keys ?? []) {
        const t = this.tasks.get(key);
        if (t?.dependsOn) nodes.push({ id: t.id ?? t.name, deps: this.existingDependencies(t.jobKey, t.dependsOn) });
      }
    }
    found = findCycles(nodes);
    this.cycles.set(jobKey, found);
    return found;
  }

  /** The ids a task depends on that a cycle can run through: its taskIds, and the tasks that exist in its ranges. */
  private *existingDependencies(jobKey: string, deps: NonNullable<TaskEntry["dependsOn"]>): Generator<string> {
    yield* deps.taskIds ?? [];
    const integers = this.integerIds.get(jobKey);
    for (const r of deps.taskIdRanges ?? []) for (const n of integers?.inRange(r.start, r.end) ?? []) yield String(n);
  }

  /** Why a pending task may not run yet, or undefined when its dependencies let it run. */
  blockReason(task: TaskEntry): BlockedTask | undefined {
    if (!task.dependsOn) return undefined;
    const job = this.jobs.get(task.jobKey);
    const jobName = task.jobKey.split("/")[1] ?? "";
    if (job && !job.usesTaskDependencies) {
      return { task, reason: "DependenciesNotEnabled", message: `spec.dependsOn: job ${jobName} does not set usesTaskDependencies: true, so its tasks may not depend on others` };
    }
    const { unmet, failed, missing } = this.dependencyStatus(task);
    if (unmet.length === 0) return undefined;
    const cycle = this.cyclesOf(task.jobKey).get(task.id ?? task.name);
    if (cycle) return { task, reason: "DependencyCycle", message: `spec.dependsOn: dependency cycle among tasks ${cycle.slice(0, 20).join(", ")}${cycle.length > 20 ? ", …" : ""}: none of them can ever run` };
    if (failed.length > 0) return { task, reason: "DependencyFailed", message: `blocked: dependency ${failed.join(", ")} did not succeed (its dependencyAction is Block)` };
    if (missing.length > 0) return { task, reason: "DependencyMissing", message: `spec.dependsOn: waiting for tasks that do not exist in job ${jobName}: ${missing.join(", ")}` };
    const wanted = [...(task.dependsOn.taskIds ?? []), ...(task.dependsOn.taskIdRanges ?? []).map((r) => `${r.start}..${r.end}`), ...(task.dependsOn.taskCollections ?? []).map(collectionItemsLabel)];
    return { task, reason: "DependenciesNotMet", message: `waiting for its dependencies to complete: ${wanted.slice(0, 20).join(", ")}${wanted.length > 20 ? ", …" : ""}` };
  }

  /** Pending tasks of a pool's schedulable jobs that may not run yet, with why. */
  blockedTasks(poolKey: string): BlockedTask[] {
    const out: BlockedTask[] = [];
    for (const job of this.jobs.values()) {
      if (job.poolKey !== poolKey || !job.schedulable) continue;
      const noNode = this.preparationFailedEverywhere(job.key, poolKey);
      for (const key of this.pendingByJob.get(job.key) ?? []) {
        const task = this.tasks.get(key);
        const blocked =
          task &&
          (this.blockReason(task) ??
            (noNode ? { task, reason: "JobPreparationTaskFailed" as const, message: noNode } : undefined) ??
            (task.dedicatedOnly && this.onlyLowPriorityUsable(poolKey)
              ? { task, reason: "NoDedicatedNode" as const, message: "jobManagerTask.allowLowPriorityNode is false: waiting for a dedicated node (the pool's usable nodes are all low-priority)" }
              : undefined));
        if (blocked) out.push(blocked);
      }
    }
    return out;
  }

  /** The pool has usable nodes, every one low-priority. */
  private onlyLowPriorityUsable(poolKey: string): boolean {
    let usable = false;
    for (const n of this.nodes.values()) {
      if (n.poolKey !== poolKey || !n.usable) continue;
      if (!n.lowPriority) return false;
      usable = true;
    }
    return usable;
  }

  /** Why none of the pool's usable nodes may take the job's tasks (its preparation failed on each), else undefined. */
  private preparationFailedEverywhere(jobKey: string, poolKey: string): string | undefined {
    const failed = this.prepFailed.get(jobKey);
    if (!failed || failed.size === 0) return undefined;
    const usable = [...this.nodes.values()].filter((n) => n.poolKey === poolKey && n.usable);
    if (usable.length === 0 || usable.some((n) => !failed.has(n.name))) return undefined;
    const names = usable.map((n) => n.name).sort();
    return `the job preparation task failed on every node of the pool (${names.slice(0, 10).join(", ")}${names.length > 10 ? ", …" : ""}); the job's tasks wait for a node where it succeeds`;
  }

  /** Running (assigned, not completed) tasks of a job. */
  activeAssignments(jobKey: string): number {
    return this.counts.get(jobKey)?.assigned ?? 0;
  }

  /**
   * Tasks that must leave their node for the queue: assigned to a node gone from the pool (a
   * node that exists but is not usable, starting or leaving, keeps its tasks), given back
   * by its agent because the job's preparation task failed there, or on a node whose
   * scheduling was disabled with Requeue or Terminate (TaskCompletion lets them finish).
   */
  /** The pool's tasks asked to terminate and not completed yet: waiting, assigned or running, on a node or in their own Pod. */
  tasksToTerminate(poolKey: string): TaskEntry[] {
    const out: TaskEntry[] = [];
    for (const key of this.terminating) {
      const t = this.tasks.get(key);
      // The set holds only tasks not completed and asked to terminate (upsertTask keeps it so).
      if (t && this.jobs.get(t.jobKey)?.poolKey === poolKey) out.push(t);
    }
    return out;
  }

  tasksToRelease(poolKey: string): { task: TaskEntry; why: ReleaseReason }[] {
    const out: { task: TaskEntry; why: ReleaseReason }[] = [];
    for (const [nodeKey, keys] of this.assignedByNode) {
      if (keys.size === 0) continue;
      const node = this.nodes.get(nodeKey);
      const disabled = node?.schedulingDisabled;
      for (const key of keys) {
        const t = this.tasks.get(key);
        if (!t || this.jobs.get(t.jobKey)?.poolKey !== poolKey) continue;
        if (!node) out.push({ task: t, why: "NodeGone" });
        else if (givenBack(t)) out.push({ task: t, why: "PreparationFailed" });
        else if (disabled === "Requeue") out.push({ task: t, why: "SchedulingDisabledRequeue" });
        else if (disabled === "Terminate") out.push({ task: t, why: "SchedulingDisabledTerminate" });
      }
    }
    return out;
  }

  /**
   * The job's pending tasks by creation time then name. The sorted list is kept between plans
   * and rebuilt only when a task joined; entries that left the queue are skipped by the caller.
   */
  private pendingInOrder(jobKey: string): TaskEntry[] {
    let order = this.pendingOrder.get(jobKey);
    if (!order) {
      order = [...(this.pendingByJob.get(jobKey) ?? [])]
        .map((k) => this.tasks.get(k)!)
        .sort((a, b) => compare(a.created, b.created) || compare(a.name, b.name));
      this.pendingOrder.set(jobKey, order);
    } else if (order.length > 2 * (this.pendingByJob.get(jobKey)?.size ?? 0) + 64) {
      // Mostly dispatched: drop what left so the walk stays short.
      order = order.filter((t) => this.pendingByJob.get(jobKey)?.has(t.key) && this.tasks.get(t.key) === t);
      this.pendingOrder.set(jobKey, order);
    }
    return order;
  }

  /**
   * Assignments for one pool: jobs by priority (then age), each job's tasks by creation
   * order, within maxParallelTasks, onto usable nodes with free slots, spread or packed.
   */
  plan(poolKey: string): Assignment[] {
    const pool = this.pools.get(poolKey);
    if (!pool) return [];
    const free = new Map<string, number>();
    const lowPriority = new Set<string>();
    for (const node of this.nodes.values()) {
      if (node.poolKey !== poolKey || !node.usable) continue;
      const room = pool.slotsPerNode - this.usedSlots(node.key);
      if (room > 0) free.set(node.name, room);
      if (node.lowPriority) lowPriority.add(node.name);
    }
    if (free.size === 0) return [];
    const jobs = [...this.jobs.values()]
      .filter((j) => j.poolKey === poolKey && j.schedulable && (this.pendingByJob.get(j.key)?.size ?? 0) > 0)
      .sort((a, b) => b.priority - a.priority || compare(a.created, b.created) || compare(a.key, b.key));
    const out: Assignment[] = [];
    for (const job of jobs) {
      let limit = job.maxParallelTasks < 0 ? Infinity : job.maxParallelTasks - this.activeAssignments(job.key);
      if (limit <= 0) continue;
      // Azure Batch runs no more of a job's tasks on a node where its preparation task failed.
      const avoid = this.prepFailed.get(job.key);
      for (const task of this.pendingInOrder(job.key)) {
        if (limit <= 0 || free.size === 0) break;
        if (!this.pendingByJob.get(job.key)?.has(task.key) || this.tasks.get(task.key) !== task) continue;
        if (task.dependsOn && (!job.usesTaskDependencies || this.unmetDependencies(task, 1).length > 0)) continue;
        const node = pickNode(free, task, pool.fill, avoid, task.dedicatedOnly ? lowPriority : undefined);
        if (!node) continue;
        const left = free.get(node)! - task.requiredSlots;
        if (left > 0) free.set(node, left);
        else free.delete(node);
        out.push({ task, node });
        limit--;
      }
      if (free.size === 0) break;
    }
    return out;
  }
}

/** Why a task leaves its node: the node is gone, its agent gave it back, or its scheduling was disabled with Requeue or Terminate. */
export type ReleaseReason = "NodeGone" | "PreparationFailed" | "SchedulingDisabledRequeue" | "SchedulingDisabledTerminate";

/** Still assigned to a node whose agent gave it back (the job's preparation failed there): the scheduler takes it away. */
export const givenBack = (t: TaskEntry): boolean => t.node !== undefined && t.prepFailedNodes?.includes(t.node) === true;

/** The nodes where the entry says the job's preparation failed: those its agent gave it back from, or (an older agent's way) the node of a task completed as JobPreparationTaskFailed. */
function preparationFailedOn(t: TaskEntry): string[] {
  const legacy = t.completed && t.failureCode === jobPreparationTaskFailed && t.reportedNode && !t.prepFailedNodes?.includes(t.reportedNode) ? [t.reportedNode] : [];
  return t.prepFailedNodes ? [...t.prepFailedNodes, ...legacy] : legacy;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function pickNode(free: Map<string, number>, task: TaskEntry, fill: "Spread" | "Pack", avoid?: Map<string, number>, lowPriority?: Set<string>): string | undefined {
  const barred = (name: string) => avoid?.has(name) === true || lowPriority?.has(name) === true;
  if (task.affinityNode && (free.get(task.affinityNode) ?? 0) >= task.requiredSlots && !barred(task.affinityNode)) return task.affinityNode;
  let best: string | undefined;
  let bestRoom = 0;
  for (const [name, room] of free) {
    if (room < task.requiredSlots || barred(name)) continue;
    const better = best === undefined || (fill === "Spread" ? room > bestRoom : room < bestRoom) || (room === bestRoom && name < best);
    if (better) {
      best = name;
      bestRoom = room;
    }
  }
  return best;
}
