import assert from "node:assert/strict";
import { test } from "node:test";
import { parseOperatorFlags } from "./command-line.ts";
import { formatLogLine } from "./log-line.ts";

test("parseOperatorFlags: defaults, help, and a bad flag named", async (t) => {
  const cases: Record<string, { argv: string[]; env?: NodeJS.ProcessEnv; want: unknown }> = {
    "no flags: the defaults": {
      argv: [],
      want: { ok: true, flags: { healthAddr: "127.0.0.1:8081", metricsAddr: "127.0.0.1:8080", leaderElect: false, leaderElectionNamespace: "default", leaderElectionId: "kubatch-operator", logFormat: "text" } },
    },
    "config and the lease namespace from the environment": {
      argv: ["--leader-elect"],
      env: { KUBATCH_CONFIG: "/etc/kubatch/config.yaml", POD_NAMESPACE: "kubatch-system" },
      want: { ok: true, flags: { config: "/etc/kubatch/config.yaml", healthAddr: "127.0.0.1:8081", metricsAddr: "127.0.0.1:8080", leaderElect: true, leaderElectionNamespace: "kubatch-system", leaderElectionId: "kubatch-operator", logFormat: "text" } },
    },
    "--help": { argv: ["--help"], want: { ok: true, help: true } },
    "-h": { argv: ["-h"], want: { ok: true, help: true } },
    "an unknown flag": { argv: ["--metrics-port=9090"], want: { ok: false, error: "Unknown option '--metrics-port'" } },
    "a bad address": { argv: ["--metrics-addr=8080"], want: { ok: false, error: '--metrics-addr: expected host:port, got "8080"' } },
    "a bad log format": { argv: ["--log-format=yaml"], want: { ok: false, error: '--log-format: expected text or json, got "yaml"' } },
  };
  for (const [name, c] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(parseOperatorFlags(c.argv, c.env ?? {}), c.want));
});

test("formatLogLine: text as before, or a JSON object with ts, level and msg", () => {
  const at = new Date("2026-12-07T01:02:03.000Z");
  assert.equal(formatLogLine("text", at, "info", "operator running"), "2026-12-07T01:02:03.000Z operator running");
  assert.equal(formatLogLine("text", at, "error", "fatal: boom"), "2026-12-07T01:02:03.000Z ERROR fatal: boom");
  assert.deepEqual(JSON.parse(formatLogLine("json", at, "info", 'a "quoted" line')), { ts: "2026-12-07T01:02:03.000Z", level: "info", msg: 'a "quoted" line' });
});
