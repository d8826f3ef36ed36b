// Everything the node does for one pod (one UID): set up its directories and volumes,
// run init containers in order and then all containers, restart them per restartPolicy,
// probe them, and stop them on deletion. It only records state and calls `notify`; the
// node turns the record into a pods/status write.

import { terminationMessage } from './termination-message.ts';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { CrashBackoff } from './backoff.ts';
import { ContainerProcess } from './container-process.ts';
import type { NodeFacts } from './downward.ts';
import { ContainerConfigError, containerEnv, expandArgv, processEnv, type ObjectSource } from './env.ts';
import { expand } from './expansion.ts';
import { containerArgv, imageID, repoRoot, resolveImage, UnknownImageError, whichOnPath } from './images.ts';
import { hidesPath, wrappedArgv, type BindMount } from './mounts.ts';
import {
  apiTime, buildPodStatus, terminatedReason,
  type ContainerRecord, type ContainerState, type PodCondition, type PodRecord, type Terminated,
} from './pod-status.ts';
import { execInContainer, httpGetOk, probeOnce, ProbeLoop, type ExecTarget } from './probes.ts';
import { materializeVolumes, type FileSource } from './volumes.ts';

export interface RuntimeDeps {
  stateDir: string;
  facts: NodeFacts;
  serviceEnv: Record<string, string>;
  clusterId: string | undefined;
  objects: ObjectSource & FileSource;
  log: (msg: string) => void;
}

const unsharePath = whichOnPath('unshare', process.env.PATH ?? '/usr/bin:/bin') ?? 'unshare';

interface Running {
  proc: ContainerProcess;
  target: ExecTarget;
  probes: ProbeLoop[];
  /** Set when the node itself stopped the container (failed liveness/startup probe). */
  killedByProbe?: boolean;
}

type Kind = 'init' | 'main';

interface Prepared {
  argv: string[];
  target: Omit<ExecTarget, 'pid'>;
}

function iso(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  return apiTime(typeof d === 'string' ? new Date(d) : d);
}

/** API container state (client-node objects carry Date instances) → our record's shape. */
function fromApiState(s: V1ContainerState | undefined): ContainerState | undefined {
  if (!s) return undefined;
  if (s.terminated) {
    const t = s.terminated;
    return {
      terminated: {
        exitCode: t.exitCode, reason: t.reason ?? terminatedReason(t.exitCode), finishedAt: iso(t.finishedAt) ?? apiTime(),
        ...(t.signal ? { signal: t.signal } : {}), ...(t.message ? { message: t.message } : {}),
        ...(t.startedAt ? { startedAt: iso(t.startedAt) } : {}), ...(t.containerID ? { containerID: t.containerID } : {}),
      },
    };
  }
  if (s.running) return { running: { startedAt: iso(s.running.startedAt) ?? apiTime() } };
  if (s.waiting) return { waiting: { reason: s.waiting.reason ?? 'ContainerCreating', ...(s.waiting.message ? { message: s.waiting.message } : {}) } };
  return undefined;
}

export class PodRuntime {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  pod: V1Pod;
  readonly rec: PodRecord;
  /** Conditions of the last successful status write (their transition times). */
  conditions: PodCondition[];
  /** JSON of the last status written, to write only on change. */
  lastWritten: string | undefined;
  /** Set once the API object has been deleted by the node. */
  deleted = false;
  readonly #deps: RuntimeDeps;
  readonly #notify: () => void;
  readonly #abort = new AbortController();
  readonly #running = new Map<string, Running>();
  #volumes = new Map<string, string>();
  #lifecycle: Promise<void> = Promise.resolve();
  #termination: Promise<void> | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(pod: V1Pod, deps: RuntimeDeps, notify: () => void) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.namespace = pod.metadata?.namespace ?? 'default';
    this.name = pod.metadata?.name ?? '';
    this.#deps = deps;
    this.#notify = notify;
    const spec = pod.spec;
    const defaultReason = (spec?.initContainers?.length ?? 0) > 0 ? 'PodInitializing' : 'ContainerCreating';
    const record = (c: V1Container): ContainerRecord => ({
      name: c.name, image: c.image ?? '', imageID: imageID(c.image ?? ''), restartCount: 0,
      state: { waiting: { reason: defaultReason } }, ready: false, started: false,
    });
    this.rec = {
      restartPolicy: spec?.restartPolicy ?? 'Always',
      init: (spec?.initContainers ?? []).map(record),
      main: (spec?.containers ?? []).map(record),
      sandboxReady: false,
      terminal: false,
      readinessGates: [],
    };
    this.conditions = (pod.status?.conditions ?? []).map((c) => ({
      type: c.type, status: c.status === 'True' ? 'True' : 'False', lastProbeTime: null,
      lastTransitionTime: iso(c.lastTransitionTime) ?? apiTime(),
    }));
    this.#adopt(pod);
    this.refreshGates(pod);
  }

  get podDir(): string { return path.join(this.#deps.stateDir, 'pods', this.uid); }
  get logDir(): string { return path.join(this.#deps.stateDir, 'pods', `${this.namespace}_${this.name}_${this.uid}`, 'logs'); }
  get terminating(): boolean { return this.#termination !== undefined; }
  get finished(): boolean { return this.rec.terminal; }

  logPath(container: string, restartCount: number): string {
    return path.join(this.logDir, container, `${restartCount}.log`);
  }

  record(container: string): ContainerRecord | undefined {
    return this.rec.main.find((c) => c.name === container) ?? this.rec.init.find((c) => c.name === container);
  }

  isRunning(container: string): boolean {
    return this.#running.has(container);
  }

  /** Picks up what an earlier node process reported, so a node restart does not rerun finished work. */
  #adopt(pod: V1Pod): void {
    const phase = pod.status?.phase;
    const seed = (recs: ContainerRecord[], statuses: V1ContainerStatus[] | undefined) => {
      for (const r of recs) {
        const s = statuses?.find((x) => x.name === r.name);
        if (!s) continue;
        r.restartCount = s.restartCount ?? 0;
        const state = fromApiState(s.state);
        const last = fromApiState(s.lastState);
        if (last && 'terminated' in last) r.lastState = last;
        if (state && 'terminated' in state) r.state = state;
        else if (state && 'running' in state) {
          // Its process died with the previous node process.
          r.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The node restarted while the container ran', finishedAt: apiTime() } };
        }
        if (s.containerID) r.containerID = s.containerID;
      }
    };
    seed(this.rec.init, pod.status?.initContainerStatuses);
    seed(this.rec.main, pod.status?.containerStatuses);
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.rec.previousPhase = phase;
      this.rec.terminal = true;
    }
    if (pod.status?.startTime) this.rec.startTime = iso(pod.status.startTime);
  }

  /** Takes a newer version of the pod (readiness gates may have changed). */
  update(pod: V1Pod): void {
    this.pod = pod;
    this.refreshGates(pod);
  }

  refreshGates(pod: V1Pod): void {
    this.rec.readinessGates = (pod.spec?.readinessGates ?? []).map((g) => ({
      type: g.conditionType,
      status: pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status,
    }));
  }

  /** The status to write now (see pod-status.ts). */
  buildStatus(now: string): ReturnType<typeof buildPodStatus> {
    return buildPodStatus(this.rec, this.conditions, now, this.pod.metadata?.generation);
  }

  start(): void {
    if (this.rec.terminal) return;
    this.#lifecycle = this.#run().catch((err) => this.#deps.log(`pod ${this.#key()} lifecycle error: ${(err as Error).stack ?? err}`));
  }

  #key(): string {
    return `${this.namespace}/${this.name}`;
  }

  get #aborted(): boolean {
    return this.#abort.signal.aborted;
  }

  async #pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#abort.signal });
    } catch {
      // aborted: the caller checks #aborted
    }
  }

  async #run(): Promise<void> {
    mkdirSync(path.join(this.podDir, 'home'), { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    for (let attempt = 0; !this.#aborted; attempt++) {
      try {
        await this.#setupVolumes();
        break;
      } catch (err) {
        const message = (err as Error).message;
        this.#deps.log(`pod ${this.#key()} volume setup failed: ${message}`);
        for (const r of [...this.rec.init, ...this.rec.main]) {
          if ('waiting' in r.state) r.state = { waiting: { reason: r.state.waiting.reason, message } };
        }
        this.#notify();
        await this.#pause(Math.min(2000 * 2 ** attempt, 60_000));
      }
    }
    if (this.#aborted) return;
    this.rec.sandboxReady = true;
    this.rec.startTime ??= apiTime();
    this.#notify();
    const spec = this.pod.spec;
    const initialized = this.rec.main.some((r) => !('waiting' in r.state) || r.restartCount > 0);
    if (!initialized) {
      for (const [i, c] of (spec?.initContainers ?? []).entries()) {
        const r = this.rec.init[i] as ContainerRecord;
        if ('terminated' in r.state && r.state.terminated.exitCode === 0) continue;
        if (!(await this.#supervise(c, r, 'init'))) return;
      }
    }
    await Promise.all((spec?.containers ?? []).map((c, i) => this.#supervise(c, this.rec.main[i] as ContainerRecord, 'main')));
  }

  async #setupVolumes(): Promise<void> {
    const vols = await materializeVolumes(this.pod, path.join(this.podDir, 'volumes'), this.#deps.objects, this.#deps.facts);
    this.#volumes = vols.paths;
    clearTimeout(this.#refreshTimer);
    if (vols.refreshAt && !this.#aborted) {
      const ms = Math.max(vols.refreshAt.getTime() - Date.now(), 10_000);
      this.#refreshTimer = setTimeout(() => {
        this.#setupVolumes()
          .then(() => this.#deps.log(`pod ${this.#key()} refreshed projected tokens`))
          .catch((err) => {
            this.#deps.log(`pod ${this.#key()} token refresh failed: ${(err as Error).message}`);
            this.#refreshTimer = setTimeout(() => void this.#setupVolumes().catch(() => {}), 30_000);
            this.#refreshTimer.unref();
          });
      }, ms);
      this.#refreshTimer.unref();
    }
  }

  /** What to spawn for a container; throws for specs the node cannot run. */
  async #prepare(c: V1Container): Promise<Prepared> {
    const recipe = resolveImage(c.image ?? '');
    const podEnv = await containerEnv(this.pod, c, this.#deps.facts, this.#deps.serviceEnv, this.#deps.objects);
    const env = processEnv(podEnv, {
      home: path.join(this.podDir, 'home'),
      hostname: this.pod.spec?.hostname ?? this.name,
      pathPrepend: recipe.pathPrepend,
      clusterId: this.#deps.clusterId,
    });
    const argv = expandArgv(containerArgv(recipe, c.command, c.args), env);
    if (argv.length === 0) throw new ContainerConfigError('no command specified');
    const mounts: BindMount[] = [];
    for (const m of c.volumeMounts ?? []) {
      let source = this.#volumes.get(m.name);
      if (source === undefined) throw new ContainerConfigError(`unable to find volume "${m.name}" for volumeMount ${m.mountPath}`);
      const sub = m.subPathExpr ? expand(m.subPathExpr, (n) => env[n]) : m.subPath;
      if (sub) {
        if (sub.startsWith('/') || sub.split('/').includes('..')) throw new ContainerConfigError(`invalid subPath "${sub}"`);
        source = path.join(source, sub);
        if (!existsSync(source)) mkdirSync(source, { recursive: true });
      }
      if (hidesPath(m.mountPath, repoRoot)) {
        this.#deps.log(`pod ${this.#key()} container ${c.name}: volumeMount ${m.mountPath} would hide ${repoRoot}, where this node's programs live; not mounted`);
        continue;
      }
      mounts.push({ source, target: m.mountPath, readOnly: m.readOnly ?? false, file: statSync(source).isFile() });
    }
    const workingDir = c.workingDir || '/';
    const wrapped = wrappedArgv(mounts, workingDir, argv);
    wrapped[0] = unsharePath;
    return { argv: wrapped, target: { env, workingDir } };
  }

  /**
   * Runs one container until it is done for good; for an init container, resolves to
   * whether it succeeded (false also when the pod is being stopped).
   */
  async #supervise(c: V1Container, r: ContainerRecord, kind: Kind): Promise<boolean> {
    const backoff = new CrashBackoff();
    const policy = this.rec.restartPolicy;
    let lastRun: Terminated | undefined = 'terminated' in r.state ? r.state.terminated : undefined;
    if (lastRun && (policy === 'Never' || (lastRun.exitCode === 0 && (kind === 'init' || policy === 'OnFailure')))) {
      return lastRun.exitCode === 0; // adopted: already done for good
    }
    for (let configAttempt = 0; !this.#aborted;) {
      let prepared: Prepared;
      if (kind === 'main' && 'waiting' in r.state && r.state.waiting.reason === 'PodInitializing') {
        r.state = { waiting: { reason: 'ContainerCreating' } };
      }
      try {
        prepared = await this.#prepare(c);
      } catch (err) {
        const reason = err instanceof UnknownImageError ? 'ErrImagePull'
          : err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        const message = (err as Error).message;
        if (!('waiting' in r.state) || r.state.waiting.reason !== reason || r.state.waiting.message !== message) {
          this.#deps.log(`pod ${this.#key()} container ${c.name}: ${reason}: ${message}`);
        }
        r.state = { waiting: { reason, message } };
        this.#notify();
        await this.#pause(Math.min(5000 * 2 ** configAttempt++, 60_000));
        continue;
      }
      if (this.#aborted) break;
      if (lastRun) {
        r.restartCount++;
        r.lastState = { terminated: lastRun };
      }
      const logPath = this.logPath(c.name, r.restartCount);
      const proc = ContainerProcess.start(prepared.argv, prepared.target.env, logPath);
      const startedAt = apiTime(proc.startedAt);
      const running: Running = { proc, target: { ...prepared.target, pid: proc.pid }, probes: [] };
      this.#running.set(c.name, running);
      r.state = { running: { startedAt } };
      r.containerID = `process://${proc.pid}`;
      r.started = kind === 'main' && !c.startupProbe;
      r.ready = r.started && !c.readinessProbe;
      if (kind === 'main') this.#startProbes(c, r, running);
      this.#deps.log(`pod ${this.#key()} started ${kind} container ${c.name} pid=${proc.pid} restart=${r.restartCount}`);
      this.#notify();

      const exit = await proc.exited;
      for (const p of running.probes) p.stop();
      this.#running.delete(c.name);
      lastRun = {
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason: exit.error ? 'StartError' : terminatedReason(exit.exitCode),
        ...(exit.error ? { message: exit.error } : fallbackMessage(c.terminationMessagePolicy, exit.exitCode, logPath)),
        startedAt,
        finishedAt: apiTime(exit.finishedAt),
        containerID: r.containerID,
      };
      r.state = { terminated: lastRun };
      r.ready = false;
      r.started = false;
      this.#deps.log(`pod ${this.#key()} ${kind} container ${c.name} exited code=${exit.exitCode}${exit.signal ? ` signal=${exit.signal}` : ''}`);
      this.#notify();
      if (this.#aborted) return false;
      if (kind === 'init') {
        if (exit.exitCode === 0) return true;
        if (policy === 'Never') return false;
      } else if (policy === 'Never' || (policy === 'OnFailure' && exit.exitCode === 0 && !running.killedByProbe)) {
        return exit.exitCode === 0;
      }
      const delay = backoff.next(exit.finishedAt.getTime() - proc.startedAt.getTime());
      if (delay > 0) {
        r.lastState = { terminated: lastRun };
        r.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${delay / 1000}s restarting failed container=${c.name} pod=${this.name}_${this.namespace}(${this.uid})`,
          },
        };
        this.#notify();
        await this.#pause(delay);
      }
    }
    return false;
  }

  #startProbes(c: V1Container, r: ContainerRecord, running: Running): void {
    const attempt = (p: NonNullable<V1Container['readinessProbe']>) => () => probeOnce(p, c, running.target);
    const killForProbe = (what: string) => {
      this.#deps.log(`pod ${this.#key()} container ${c.name} failed its ${what} probe, restarting`);
      running.killedByProbe = true;
      void this.#stopProcess(running, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    };
    const startRest = () => {
      if (c.readinessProbe) {
        const p = new ProbeLoop(c.readinessProbe, false, attempt(c.readinessProbe), (ok) => {
          if (r.ready !== ok && this.#running.get(c.name) === running) {
            r.ready = ok;
            this.#notify();
          }
        });
        running.probes.push(p);
        p.start();
      }
      if (c.livenessProbe) {
        const p = new ProbeLoop(c.livenessProbe, true, attempt(c.livenessProbe), (ok) => { if (!ok) killForProbe('liveness'); });
        running.probes.push(p);
        p.start();
      }
    };
    if (c.startupProbe) {
      const p = new ProbeLoop(c.startupProbe, false, attempt(c.startupProbe), (ok) => {
        p.stop();
        if (!ok) return killForProbe('startup');
        r.started = true;
        r.ready = !c.readinessProbe;
        this.#notify();
        startRest();
      });
      running.probes.push(p);
      p.start();
    } else {
      startRest();
    }
  }

  /** SIGTERM the process group, SIGKILL after the grace period. */
  async #stopProcess(running: Running, graceSeconds: number): Promise<void> {
    running.proc.signal('SIGTERM');
    const timer = setTimeout(() => running.proc.signal('SIGKILL'), Math.max(graceSeconds, 0) * 1000);
    await running.proc.exited;
    clearTimeout(timer);
  }

  /**
   * Stops the pod for good: preStop hooks, SIGTERM, SIGKILL after the grace period. The
   * record is terminal afterwards. Idempotent.
   */
  terminate(graceSeconds: number): Promise<void> {
    this.#termination ??= this.#terminate(graceSeconds);
    return this.#termination;
  }

  async #terminate(graceSeconds: number): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#refreshTimer);
    const deadline = Date.now() + graceSeconds * 1000;
    const runs = [...this.#running.entries()];
    if (graceSeconds > 0) {
      await Promise.all(runs.map(([name, run]) => this.#preStop(name, run, deadline)));
    }
    for (const [, run] of runs) run.proc.signal('SIGTERM');
    const killer = setTimeout(() => { for (const [, run] of this.#running) run.proc.signal('SIGKILL'); }, Math.max(deadline - Date.now(), 0));
    await Promise.all(runs.map(([, run]) => run.proc.exited));
    clearTimeout(killer);
    // Kill anything started in the meantime too, then let the supervisors wind down.
    for (const [, run] of this.#running) run.proc.signal('SIGKILL');
    await this.#lifecycle;
    if (runs.length > 0) this.#deps.log(`pod ${this.#key()} stopped ${runs.length} container(s)`);
    this.rec.terminal = true;
    this.#notify();
  }

  async #preStop(name: string, run: Running, deadline: number): Promise<void> {
    const c = [...(this.pod.spec?.containers ?? []), ...(this.pod.spec?.initContainers ?? [])].find((x) => x.name === name);
    const hook = c?.lifecycle?.preStop;
    if (!hook) return;
    const left = Math.max(deadline - Date.now(), 0);
    if (hook.exec) {
      const code = await execInContainer(run.target, hook.exec.command ?? [], left);
      this.#deps.log(`pod ${this.#key()} container ${name} preStop hook exited ${code}`);
    } else if (hook.httpGet) {
      const g = hook.httpGet;
      await httpGetOk({ ...g, port: Number(g.port) }, left);
    } else if (hook.sleep) {
      await sleep(Math.min(hook.sleep.seconds * 1000, left));
    }
  }

  /** Kills everything at once (pod vanished from the API, or the node stops). */
  kill(): Promise<void> {
    return this.terminate(0);
  }

  async cleanup(): Promise<void> {
    await rm(this.podDir, { recursive: true, force: true });
    await rm(path.dirname(this.logDir), { recursive: true, force: true });
  }
}

function fallbackMessage(policy: string | undefined, exitCode: number, logPath: string): { message?: string } {
  const message = terminationMessage(policy, exitCode, logPath);
  return message ? { message } : {};
}
