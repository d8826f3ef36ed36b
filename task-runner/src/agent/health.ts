// The agent's /healthz and /readyz, decided from how its watches fare (kube/informer.ts).
// Liveness asks only what a restart can mend: a list-watch loop that has stopped turning.
// An API server that is down, refuses or times out still gives the loop outcomes (failed
// calls), so an outage never restarts every agent of the cluster at once; it makes the agent
// not ready instead, and the node shows Unusable until the API server answers again.
import type { WatchHealth } from "../../../kube/informer.ts";
import { agentHealthPort, agentHealthPortEnv } from "../../../api/node-contract.ts";

/**
 * Liveness: a loop that still turns has an outcome at least every ~4 minutes whatever the API
 * server does (the informer's watchdog at 120 s, checked every 30 s, a restart's backoff of at
 * most 30 s, a call's 60 s deadline); past this, it is stuck.
 */
export const watchStallMs = 5 * 60_000;
/** Readiness: a quiet watch is reopened about every 30 s, so this long without an answer is an API server out of reach. */
export const unansweredMs = 2 * 60_000;

export type AgentHealth = { live?: string; ready?: string };

export function agentHealth(watches: readonly WatchHealth[]): AgentHealth {
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  const stuck = watches.find((w) => w.sinceOutcomeMs > watchStallMs);
  const live = stuck ? `the watch of ${stuck.path} has had no outcome for ${seconds(stuck.sinceOutcomeMs)}: its loop is stuck` : undefined;
  const unsynced = watches.find((w) => !w.synced);
  const unanswered = watches.find((w) => w.sinceAnswerMs > unansweredMs);
  const ready =
    watches.length === 0
      ? "no watch has started"
      : unsynced
        ? `the watch of ${unsynced.path} has not synced yet`
        : unanswered
          ? `the API server has not answered the watch of ${unanswered.path} for ${seconds(unanswered.sinceAnswerMs)}`
          : undefined;
  return { live, ready };
}

/** The port of the health endpoints: KUBATCH_AGENT_HEALTH_PORT, else 8081. */
export function healthPort(env: NodeJS.ProcessEnv): number {
  const raw = env[agentHealthPortEnv];
  if (raw === undefined || raw === "") return agentHealthPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${agentHealthPortEnv}: expected a port (1-65535), got "${raw}"`);
  return port;
}
