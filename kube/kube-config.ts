// The one way kubatch loads a kubeconfig: like kubectl (KUBECONFIG, ~/.kube/config, or the
// in-cluster service account), with connections kept alive across API calls, and every call
// bounded in time.
import type { RequestOptions } from "node:https";
import type { Socket } from "node:net";
import { KubeConfig, Observable, type ConfigurationOptions, type RequestContext } from "@kubernetes/client-node";
import { Agent, buildConnector } from "undici";

/** How long one API call may take (watches and log streams excepted: they set their own signal). */
export const requestTimeoutMs = 60_000;

export type RequestLimits = {
  timeoutMs?: number;
  /** Ends every call made through the config, in flight or not, when it aborts (the operator lost its lease). */
  signal?: AbortSignal;
  /**
   * Why no call may be sent now (a leader whose lease lapsed), asked as each call is sent:
   * a process that wakes from a freeze past its lease is refused before its timers (the
   * signal above) have had a chance to run.
   */
  refuse?: () => string | undefined;
};

/**
 * client-node 2.0.1 builds a new undici dispatcher — a new TLS connection — for every API
 * call; measured in e2e/bench, that handshake was the largest single cost per task on both
 * ends and most of the operator's RSS. Every call made through this config shares one.
 * Credentials still come per request (a rotated service-account token is picked up).
 */
export class PooledKubeConfig extends KubeConfig {
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;
  private readonly limits: RequestLimits;

  constructor(limits: RequestLimits = {}) {
    super();
    this.limits = limits;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const refused = this.limits.refuse?.();
    if (refused !== undefined) throw new Error(`${context.getHttpMethod()} ${new URL(context.getUrl()).pathname}: not sent: ${refused}`);
    this.dispatcher ??= (this.limits.refuse && (await this.fencedDispatcher(this.limits.refuse))) || context.getDispatcher();
    if (this.dispatcher) context.setDispatcher(this.dispatcher);
    // client-node sets no deadline: a request the server never answers would hang its caller.
    const timeout = AbortSignal.timeout(this.limits.timeoutMs ?? requestTimeoutMs);
    context.setSignal(this.limits.signal ? AbortSignal.any([timeout, this.limits.signal]) : timeout);
  }

  /**
   * The check above runs as a call begins; a process frozen between it and the moment the
   * bytes leave would send them when it wakes, past its lease. So every socket asks again
   * in the same synchronous step as each write, and a refused one is destroyed unsent.
   * Undefined when client-node would use no dispatcher of its own (no TLS settings).
   */
  private async fencedDispatcher(refuse: () => string | undefined): Promise<Agent | undefined> {
    const tls: RequestOptions = {};
    await this.applyToHTTPSOptions(tls);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = tls;
    const options = this.createDispatcherOptions(this.getCurrentCluster(), { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername });
    if (options.type !== "agent") return undefined;
    const connect = buildConnector(options.connect as buildConnector.BuildOptions);
    return new Agent({ connect: (opts, done) => connect(opts, (err, socket) => (err || !socket ? done(err ?? new Error("no socket"), null) : done(null, fenceWrites(socket, refuse)))) });
  }
}

function fenceWrites<S extends Socket>(socket: S, refuse: () => string | undefined): S {
  const write = socket.write;
  socket.write = function (this: S, ...args: Parameters<S["write"]>) {
    const refused = refuse();
    if (refused === undefined) return write.apply(this, args as never);
    socket.destroy(new Error(`not sent: ${refused}`));
    return false;
  } as S["write"];
  return socket;
}

export function loadKubeConfig(file?: string, limits?: RequestLimits): KubeConfig {
  const kc = new PooledKubeConfig(limits);
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/** Options for one call whose request `step` changes before it is sent (client-node's per-call middleware). */
function beforeSending(step: (context: RequestContext) => void): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          step(context);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** Options for one call that make it end also when `signal` aborts (e.g. a renew deadline). */
export function withSignal(signal: AbortSignal): ConfigurationOptions {
  return beforeSending((context) => {
    const own = context.getSignal();
    context.setSignal(own ? AbortSignal.any([own, signal]) : signal);
  });
}

/**
 * Options for one call made as a namespace's ServiceAccount (the `Impersonate-User` header):
 * the operator reads a Secret a collection names with the node identity's grant, by name,
 * rather than hold `get secrets` itself. Needs `impersonate` on that ServiceAccount.
 */
export function asServiceAccount(namespace: string, name: string): ConfigurationOptions {
  return beforeSending((context) => context.setHeaderParam("Impersonate-User", `system:serviceaccount:${namespace}:${name}`));
}
