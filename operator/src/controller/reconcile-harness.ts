// What reconciler tables run against (as Kueue's TestReconcile does): cached objects, an
// in-memory API that records every write as plain data instead of sending it, an event
// recorder, and a clock that moves only when the test says so. Used by tests only (kept out of
// the operator image by its .dockerignore).
import assert from "node:assert/strict";
import type { AppsV1Api, CoreV1Api, KubernetesObject, NetworkingV1Api, V1Pod, V1Status } from "@kubernetes/client-node";
import { allKindNames } from "../../../api/index.ts";
import { fieldManager, statusPatch, statusUnchanged, type CustomObjectWrites, type Writer } from "../../../kube/apply.ts";
import type { EventRecorder, ObjectEvent } from "../../../kube/events.ts";
import type { Clock } from "../manager/leader-election.ts";
import type { Cache } from "../pool/reconciler.ts";

/** One write a reconciler made: server-side apply, merge patch (object or status), or delete. */
export type Write = {
  verb: "apply" | "patch" | "patchStatus" | "delete";
  kind: string;
  namespace: string;
  name: string;
  /** The applied object, or the patch body as the API server would receive it. */
  body?: unknown;
  /** apply: the field manager. */
  manager?: string;
  /** delete: the propagation policy. */
  propagationPolicy?: string;
};

export type RecordedEvent = ObjectEvent & { kind?: string; name?: string };

/** A cache over fixed objects, or over whatever `items` returns at each call. */
export function cache<T extends KubernetesObject>(items: readonly T[] | (() => readonly T[])): Cache<T> {
  const all = typeof items === "function" ? items : () => items;
  const inNamespace = (namespace?: string) => all().filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  return { get: (name, namespace) => inNamespace(namespace).find((o) => o.metadata?.name === name), list: inNamespace };
}

const kindOfPlural = new Map(allKindNames.map((n) => [n.plural, n.kind]));

/** The status code the fake answers a matching write with (404, 409, …), instead of recording it; `times`: only the first so many. */
export type Failure = { verb?: Write["verb"]; kind?: string; name?: string; code: number; times?: number };

export type FakeApi = {
  /** Every write, in order. */
  writes: Write[];
  events: RecordedEvent[];
  writer: Writer;
  recorder: EventRecorder;
  custom: CustomObjectWrites;
  core: Pick<CoreV1Api, "patchNamespacedPod" | "deleteNamespacedPod" | "readNamespacedPodLog">;
  apps: Pick<AppsV1Api, "deleteNamespacedDeployment">;
  networking: Pick<NetworkingV1Api, "deleteNamespacedNetworkPolicy">;
};

/**
 * An API that records writes. Custom-object patches answer with the body and a new
 * resourceVersion (the task writes chain on it); `logs` holds container logs by pod name.
 */
export function fakeApi(opts: { failures?: readonly Failure[]; logs?: Record<string, string> } = {}): FakeApi {
  const writes: Write[] = [];
  const events: RecordedEvent[] = [];
  let version = 1000;
  const failed = new Map<Failure, number>();
  const write = (w: Write): void => {
    const failure = opts.failures?.find(
      (f) => (!f.verb || f.verb === w.verb) && (!f.kind || f.kind === w.kind) && (!f.name || f.name === w.name) && (f.times === undefined || (failed.get(f) ?? 0) < f.times),
    );
    if (failure) failed.set(failure, (failed.get(failure) ?? 0) + 1);
    if (failure) throw Object.assign(new Error(`${w.verb} ${w.kind} ${w.name}: ${failure.code}`), { code: failure.code });
    writes.push(w);
  };
  const custom = (verb: "patch" | "patchStatus") => async (p: { plural: string; namespace: string; name: string; body: object }) => {
    write({ verb, kind: kindOfPlural.get(p.plural) ?? p.plural, namespace: p.namespace, name: p.name, body: p.body });
    return { ...p.body, metadata: { ...(p.body as KubernetesObject).metadata, resourceVersion: String(++version) } };
  };
  return {
    writes,
    events,
    writer: {
      async apply(obj, manager = fieldManager) {
        write({ verb: "apply", kind: obj.kind ?? "", namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "", manager, body: obj });
        return obj;
      },
      async patchStatus(ref, current, status) {
        if (statusUnchanged(current, status)) return false;
        write({ verb: "patchStatus", kind: kindOfPlural.get(ref.plural) ?? ref.plural, namespace: ref.namespace, name: ref.name, body: statusPatch(ref, status) });
        return true;
      },
    },
    recorder: { record: (obj, type, reason, message) => void events.push({ type, reason, message, kind: obj.kind, name: obj.metadata?.name }) },
    custom: {
      patchNamespacedCustomObject: custom("patch"),
      patchNamespacedCustomObjectStatus: custom("patchStatus"),
      async deleteNamespacedCustomObject(p) {
        write({ verb: "delete", kind: kindOfPlural.get(p.plural) ?? p.plural, namespace: p.namespace, name: p.name, body: p.body });
        return {};
      },
    },
    core: {
      async patchNamespacedPod(p) {
        write({ verb: "patch", kind: "Pod", namespace: p.namespace, name: p.name, body: p.body });
        return p.body as V1Pod;
      },
      async deleteNamespacedPod(p) {
        write({ verb: "delete", kind: "Pod", namespace: p.namespace, name: p.name, propagationPolicy: p.propagationPolicy });
        return {} as V1Pod;
      },
      async readNamespacedPodLog(p) {
        return opts.logs?.[p.name] ?? "";
      },
    },
    apps: {
      async deleteNamespacedDeployment(p) {
        write({ verb: "delete", kind: "Deployment", namespace: p.namespace, name: p.name, propagationPolicy: p.propagationPolicy });
        return {} as V1Status;
      },
    },
    networking: {
      async deleteNamespacedNetworkPolicy(p) {
        write({ verb: "delete", kind: "NetworkPolicy", namespace: p.namespace, name: p.name });
        return {} as V1Status;
      },
    },
  };
}

/** Time moves only when the test says so; timers fire in order. */
export class FakeClock implements Clock {
  private t: number;
  private timers: { at: number; fire: () => void }[] = [];
  constructor(start: number | string = 1_000_000) {
    this.t = typeof start === "string" ? Date.parse(start) : start;
  }
  /** How far the wall clock has been stepped away from the monotonic one (stepWall). */
  private wallOffset = 0;
  now = () => this.t + this.wallOffset;
  monotonic = () => this.t;
  /** now() as a Date, for the reconcilers' `now`. */
  date = () => new Date(this.now());
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = { at: this.t + ms, fire: () => resolve() };
      this.timers.push(timer);
      signal.addEventListener("abort", () => ((this.timers = this.timers.filter((x) => x !== timer)), resolve()), { once: true });
    });
  }
  timeout(ms: number): AbortSignal {
    const c = new AbortController();
    this.timers.push({ at: this.t + ms, fire: () => c.abort(new DOMException("timed out", "TimeoutError")) });
    return c.signal;
  }
  /** Steps the wall clock only (NTP, an operator's `date -s`): monotonic time and timers go on unmoved. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }
  /** Moves time by `ms` without firing a timer: a process frozen (SIGSTOP) sees its clock jump before its timers run. */
  jump(ms: number): void {
    this.t += ms;
  }
  /** Moves time by `ms`, firing the timers due on the way and letting what they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fire();
    }
    this.t = end;
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A write a case expects: its verb, kind and name exactly, and `body` as a subset of what was sent. */
export type WantWrite = Pick<Write, "verb" | "kind" | "name"> & { body?: unknown };

/** The writes made are exactly `want`, in order (bodies compared on the fields `want` gives). */
export function assertWrites(writes: readonly Write[], want: readonly WantWrite[]): void {
  const line = (w: WantWrite) => `${w.verb} ${w.kind} ${w.name}`;
  assert.deepEqual(writes.map(line), want.map(line));
  want.forEach((w, i) => w.body !== undefined && assert.partialDeepStrictEqual(writes[i]!.body, w.body, `${line(w)}: body`));
}

/** The events recorded are exactly `want` ("Type Reason"), in order. */
export function assertEvents(events: readonly RecordedEvent[], want: readonly string[]): void {
  assert.deepEqual(events.map((e) => `${e.type} ${e.reason}`), want);
}
