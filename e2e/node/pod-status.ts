// Pure construction of a pod's status from what the node observed of its containers,
// following the kubelet (getPhase, Generate*Condition); the node writes the result to
// pods/status only when it differs from the last write.

/** A container state in API shape (exactly one key set). */
export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID?: string;
}

/** What the node knows about one container. */
export interface ContainerRecord {
  name: string;
  image: string;
  imageID: string;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  containerID?: string;
  ready: boolean;
  started: boolean;
}

export interface PodRecord {
  restartPolicy: string;
  init: ContainerRecord[];
  main: ContainerRecord[];
  /** The pod's directories and volumes are set up (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** The pod was stopped for good (deleted): no container restarts any more. */
  terminal: boolean;
  startTime?: string;
  /** Readiness gate condition types the pod's spec lists, with their current status. */
  readinessGates: { type: string; status: string | undefined }[];
  /** A phase already reported: terminal phases never change back. */
  previousPhase?: string;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export const hostIP = '127.0.0.1';

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function apiTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const isTerminalPhase = (p: string | undefined) => p === 'Succeeded' || p === 'Failed';

/** The kubelet's getPhase. */
export function podPhase(rec: PodRecord): string {
  if (isTerminalPhase(rec.previousPhase)) return rec.previousPhase as string;
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of rec.init) {
    const s = c.state;
    if ('running' in s) pendingInit++;
    else if ('terminated' in s) { if (s.terminated.exitCode !== 0) failedInit++; }
    else if (c.lastState && 'terminated' in c.lastState) { if (c.lastState.terminated.exitCode !== 0) failedInit++; }
    else pendingInit++;
  }
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of rec.main) {
    const s = c.state;
    if ('running' in s) running++;
    else if ('terminated' in s) { stopped++; if (s.terminated.exitCode === 0) succeeded++; }
    else if (c.lastState && 'terminated' in c.lastState) stopped++;
    else waiting++;
  }
  const anyMainStarted = rec.main.some((c) => !('waiting' in c.state) || c.lastState !== undefined || c.restartCount > 0);
  if (failedInit > 0 && rec.restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !anyMainStarted) || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (rec.terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (rec.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (rec.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function initialized(rec: PodRecord): boolean {
  const anyMainStarted = rec.main.some((c) => !('waiting' in c.state) || c.lastState !== undefined || c.restartCount > 0);
  return anyMainStarted || rec.init.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0);
}

interface Want { status: 'True' | 'False'; reason?: string; message?: string }

function conditionsFor(rec: PodRecord, phase: string): Record<string, Want> {
  const completed = phase === 'Succeeded';
  const incompleteInit = rec.init.filter((c) => !('terminated' in c.state && c.state.terminated.exitCode === 0)).map((c) => c.name);
  const unready = rec.main.filter((c) => !c.ready).map((c) => c.name);
  const init: Want = initialized(rec)
    ? { status: 'True', ...(completed && rec.init.length > 0 ? { reason: 'PodCompleted' } : {}) }
    : { status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incompleteInit.join(' ')}]` };
  let containersReady: Want;
  if (completed) containersReady = { status: 'False', reason: 'PodCompleted' };
  else if (unready.length > 0) containersReady = { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  else containersReady = { status: 'True' };
  let ready: Want = containersReady;
  if (ready.status === 'True') {
    const notReadyGates = rec.readinessGates.filter((g) => g.status !== 'True').map((g) => g.type);
    if (notReadyGates.length > 0) {
      ready = { status: 'False', reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${notReadyGates[0]}" does not exist.` };
    }
  }
  const sandbox: Want = { status: rec.sandboxReady && !rec.terminal && !isTerminalPhase(phase) ? 'True' : 'False' };
  return { PodReadyToStartContainers: sandbox, Initialized: init, Ready: ready, ContainersReady: containersReady };
}

/** Conditions whose lastTransitionTime moves only when their status flips. */
export function buildConditions(wants: Record<string, Want>, previous: PodCondition[], now: string, generation?: number): PodCondition[] {
  return Object.entries(wants).map(([type, w]) => {
    const prev = previous.find((c) => c.type === type);
    const lastTransitionTime = prev && prev.status === w.status ? prev.lastTransitionTime : now;
    return {
      type,
      status: w.status,
      ...(w.reason ? { reason: w.reason } : {}),
      ...(w.message ? { message: w.message } : {}),
      lastProbeTime: null,
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
}

function apiContainerStatus(c: ContainerRecord): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageID,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ?? {},
  };
}

/** The `status` body for a pods/status patch (never qosClass, never PodScheduled). */
export function buildPodStatus(rec: PodRecord, previousConditions: PodCondition[], now: string, generation?: number): {
  phase: string; conditions: PodCondition[]; [k: string]: unknown;
} {
  const phase = podPhase(rec);
  const conditions = buildConditions(conditionsFor(rec, phase), previousConditions, now, generation);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase,
    conditions,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(rec.sandboxReady ? { podIP: hostIP, podIPs: [{ ip: hostIP }] } : {}),
    ...(rec.startTime ? { startTime: rec.startTime } : {}),
    ...(rec.init.length > 0 ? { initContainerStatuses: rec.init.map(apiContainerStatus) } : {}),
    containerStatuses: [...rec.main].sort((a, b) => a.name.localeCompare(b.name)).map(apiContainerStatus),
  };
}

/** Reason for a terminated state, as the kubelet reports it. */
export function terminatedReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}
