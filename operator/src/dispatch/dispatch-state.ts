// What the scheduler knows, kept up to date from the informers, and the plan it makes (pure,
// no I/O). Slots are counted from assignments (the node label) of tasks that have not
// completed, including assignments this process has written but not yet seen come back.

export type TaskEntry = {
  key: string;
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
  dependsOn?: { taskIds?: string[]; taskIdRanges?: { start: number; end: number }[] };
  /** spec.containerSettings is set: the task runs as its own Pod, never on a pool node. */
  runsInPod?: boolean;
};

export type JobEntry = {
  key: string;
  poolKey: string;
  priority: number;
  maxParallelTasks: number;
  created: string;
  /** Whether new tasks may start (job Active, not disabled or terminated). */
  schedulable: boolean;
};

export type NodeEntry = { key: string; name: string; poolKey: string; usable: boolean };

export type PoolEntry = { key: string; slotsPerNode: number; fill: "Spread" | "Pack" };

export type Assignment = { task: TaskEntry; node: string };

/** A job's tasks by state, kept up to date on every change (never recounted). */
export type JobTaskCounts = { active: number; running: number; succeeded: number; failed: number; assigned: number; total: number };

const emptyCounts = (): JobTaskCounts => ({ active: 0, running: 0, succeeded: 0, failed: 0, assigned: 0, total: 0 });

function bucket(t: TaskEntry): "active" | "running" | "succeeded" | "failed" {
  if (t.completed) return t.result === "Success" ? "succeeded" : "failed";
  return t.state === "Running" || t.state === "Preparing" ? "running" : "active";
}

const byKey = <T>(map: Map<string, Set<T>>, key: string): Set<T> => {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
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
  /** Each job's pending tasks in creation order, rebuilt only after a task was added. */
  private readonly pendingOrder = new Map<string, TaskEntry[]>();

  upsertTask(entry: TaskEntry): void {
    this.removeTaskIndexes(entry.key);
    this.tasks.set(entry.key, entry);
    this.count(entry, 1);
    let ids = this.byId.get(entry.jobKey);
    if (!ids) this.byId.set(entry.jobKey, (ids = new Map()));
    ids.set(entry.id ?? entry.name, entry.key);
    if (entry.completed || entry.runsInPod) return;
    if (entry.node) byKey(this.assignedByNode, `${entry.namespace}/${entry.node}`).add(entry.key);
    else if (!entry.invalid) {
      byKey(this.pendingByJob, entry.jobKey).add(entry.key);
      this.pendingOrder.delete(entry.jobKey);
    }
  }

  private count(t: TaskEntry, delta: 1 | -1): void {
    let c = this.counts.get(t.jobKey);
    if (!c) this.counts.set(t.jobKey, (c = emptyCounts()));
    c[bucket(t)] += delta;
    c.total += delta;
    if (t.node && !t.completed) c.assigned += delta;
  }

  /** The job's task counts, exact for what the informers have reported. */
  countsOfJob(jobKey: string): JobTaskCounts {
    return { ...(this.counts.get(jobKey) ?? emptyCounts()) };
  }

  deleteTask(key: string): void {
    this.removeTaskIndexes(key);
    this.tasks.delete(key);
  }

  private removeTaskIndexes(key: string): void {
    const old = this.tasks.get(key);
    if (!old) return;
    this.count(old, -1);
    this.byId.get(old.jobKey)?.delete(old.id ?? old.name);
    this.pendingByJob.get(old.jobKey)?.delete(key);
    if (old.node) this.assignedByNode.get(`${old.namespace}/${old.node}`)?.delete(key);
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
  }

  upsertPool(pool: PoolEntry): void {
    this.pools.set(pool.key, pool);
  }

  deletePool(key: string): void {
    this.pools.delete(key);
  }

  /** Tasks waiting for a node in a pool's schedulable jobs. */
  pendingCount(poolKey: string): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.poolKey === poolKey && job.schedulable) n += this.pendingByJob.get(job.key)?.size ?? 0;
    return n;
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
   * The dependencies of a task that have not succeeded yet (Azure Batch: a dependency is met
   * when that task completed successfully); empty when it may run. Missing tasks count as
   * unmet: they may still be added.
   */
  unmetDependencies(task: TaskEntry, limit = 10): string[] {
    return this.dependencyStatus(task, limit).unmet;
  }

  /** Unmet dependencies (up to limit) and, among them, those that completed with a failure. */
  dependencyStatus(task: TaskEntry, limit = 10): { unmet: string[]; failed: string[] } {
    const deps = task.dependsOn;
    const unmet: string[] = [];
    const failed: string[] = [];
    if (!deps) return { unmet, failed };
    const ids = this.byId.get(task.jobKey);
    const check = (id: string) => {
      const key = ids?.get(id);
      const t = key ? this.tasks.get(key) : undefined;
      if (!t || !t.completed || t.result !== "Success") unmet.push(id);
      if (t?.completed && t.result !== "Success") failed.push(id);
      return unmet.length < limit;
    };
    for (const id of deps.taskIds ?? []) if (!check(id)) return { unmet, failed };
    for (const r of deps.taskIdRanges ?? []) for (let i = r.start; i <= r.end; i++) if (!check(String(i))) return { unmet, failed };
    return { unmet, failed };
  }

  /** Pending tasks of a pool's schedulable jobs that wait for dependencies. */
  blockedTasks(poolKey: string): { task: TaskEntry; unmet: string[]; failed: string[] }[] {
    const out: { task: TaskEntry; unmet: string[]; failed: string[] }[] = [];
    for (const job of this.jobs.values()) {
      if (job.poolKey !== poolKey || !job.schedulable) continue;
      for (const key of this.pendingByJob.get(job.key) ?? []) {
        const task = this.tasks.get(key);
        if (!task?.dependsOn) continue;
        const status = this.dependencyStatus(task);
        if (status.unmet.length > 0) out.push({ task, ...status });
      }
    }
    return out;
  }

  /** Running (assigned, not completed) tasks of a job. */
  activeAssignments(jobKey: string): number {
    return this.counts.get(jobKey)?.assigned ?? 0;
  }

  /**
   * Tasks assigned to nodes that are gone from the pool: they must go back to the queue.
   * A node that exists but is not usable (starting, leaving) keeps its tasks.
   */
  orphanedTasks(poolKey: string): TaskEntry[] {
    const out: TaskEntry[] = [];
    for (const [nodeKey, keys] of this.assignedByNode) {
      if (keys.size === 0 || this.nodes.has(nodeKey)) continue;
      for (const key of keys) {
        const t = this.tasks.get(key);
        if (t && this.jobs.get(t.jobKey)?.poolKey === poolKey) out.push(t);
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
    for (const node of this.nodes.values()) {
      if (node.poolKey !== poolKey || !node.usable) continue;
      const room = pool.slotsPerNode - this.usedSlots(node.key);
      if (room > 0) free.set(node.name, room);
    }
    if (free.size === 0) return [];
    const jobs = [...this.jobs.values()]
      .filter((j) => j.poolKey === poolKey && j.schedulable && (this.pendingByJob.get(j.key)?.size ?? 0) > 0)
      .sort((a, b) => b.priority - a.priority || compare(a.created, b.created) || compare(a.key, b.key));
    const out: Assignment[] = [];
    for (const job of jobs) {
      let limit = job.maxParallelTasks < 0 ? Infinity : job.maxParallelTasks - this.activeAssignments(job.key);
      if (limit <= 0) continue;
      for (const task of this.pendingInOrder(job.key)) {
        if (limit <= 0 || free.size === 0) break;
        if (!this.pendingByJob.get(job.key)?.has(task.key) || this.tasks.get(task.key) !== task) continue;
        if (task.dependsOn && this.unmetDependencies(task, 1).length > 0) continue;
        const node = pickNode(free, task, pool.fill);
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

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function pickNode(free: Map<string, number>, task: TaskEntry, fill: "Spread" | "Pack"): string | undefined {
  if (task.affinityNode && (free.get(task.affinityNode) ?? 0) >= task.requiredSlots) return task.affinityNode;
  let best: string | undefined;
  let bestRoom = 0;
  for (const [name, room] of free) {
    if (room < task.requiredSlots) continue;
    const better = best === undefined || (fill === "Spread" ? room > bestRoom : room < bestRoom) || (room === bestRoom && name < best);
    if (better) {
      best = name;
      bestRoom = room;
    }
  }
  return best;
}
