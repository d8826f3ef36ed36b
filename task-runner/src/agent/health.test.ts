import assert from "node:assert/strict";
import { test } from "node:test";
import type { WatchHealth } from "../../../kube/informer.ts";
import { agentHealth, healthPort, unansweredMs, watchStallMs } from "./health.ts";

const jobs = (w: Partial<WatchHealth> = {}): WatchHealth => ({ path: "/jobs", synced: true, sinceOutcomeMs: 1_000, sinceAnswerMs: 1_000, ...w });
const tasks = (w: Partial<WatchHealth> = {}): WatchHealth => ({ ...jobs(w), path: "/tasks", ...w });

test("the agent is live while its watches turn, ready while they are synced and answered", async (t) => {
  const cases: Record<string, { watches: WatchHealth[]; live?: RegExp; ready?: RegExp }> = {
    "not started yet: live, not ready": { watches: [], ready: /no watch has started/ },
    "the job watch syncing, the task watch not started": { watches: [jobs({ synced: false }), tasks({ synced: false, sinceOutcomeMs: 0, sinceAnswerMs: 0 })], ready: /\/jobs has not synced/ },
    "both synced and answered: live and ready": { watches: [jobs(), tasks()] },
    "a quiet watch reopened a minute ago": { watches: [jobs({ sinceAnswerMs: 60_000 }), tasks()] },
    "the API server refusing for 3 minutes: live (failed calls are outcomes), not ready": {
      watches: [jobs({ sinceAnswerMs: 180_000, sinceOutcomeMs: 2_000 }), tasks({ sinceAnswerMs: 180_000, sinceOutcomeMs: 5_000 })],
      ready: /API server has not answered the watch of \/jobs for 180 s/,
    },
    "an initial sync that takes 10 minutes of refusals: live, not ready": { watches: [jobs({ synced: false, sinceAnswerMs: 600_000 })], ready: /not synced/ },
    "just under the unanswered bound: ready": { watches: [jobs({ sinceAnswerMs: unansweredMs }), tasks()] },
    "the task watch's loop stuck for 6 minutes: not live, and not ready": {
      watches: [jobs(), tasks({ sinceOutcomeMs: 360_000, sinceAnswerMs: 360_000 })],
      live: /watch of \/tasks has had no outcome for 360 s: its loop is stuck/,
      ready: /\/tasks for 360 s/,
    },
    "just under the stall bound: live": { watches: [jobs(), tasks({ sinceOutcomeMs: watchStallMs })] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const h = agentHealth(tc.watches);
      if (tc.live) assert.match(h.live ?? "", tc.live);
      else assert.equal(h.live, undefined);
      if (tc.ready) assert.match(h.ready ?? "", tc.ready);
      else assert.equal(h.ready, undefined);
    });
  }
});

test("the health port comes from KUBATCH_AGENT_HEALTH_PORT, else 8081", () => {
  const cases: Record<string, { env: NodeJS.ProcessEnv; want: number | RegExp }> = {
    "unset": { env: {}, want: 8081 },
    "empty": { env: { KUBATCH_AGENT_HEALTH_PORT: "" }, want: 8081 },
    "set": { env: { KUBATCH_AGENT_HEALTH_PORT: "9090" }, want: 9090 },
    "not a number": { env: { KUBATCH_AGENT_HEALTH_PORT: "health" }, want: /expected a port \(1-65535\), got "health"/ },
    "out of range": { env: { KUBATCH_AGENT_HEALTH_PORT: "70000" }, want: /got "70000"/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    if (typeof tc.want === "number") assert.equal(healthPort(tc.env), tc.want, name);
    else assert.throws(() => healthPort(tc.env), tc.want, name);
  }
});
