// The operator's flags: parsed without exiting (main.ts decides), so `--help` prints the usage
// and a mistyped flag is named with the usage, not a stack trace.
import { parseArgs } from "node:util";

export const operatorUsage = `usage: kubatch-operator [flags]

The kubatch controller manager: reconciles Pools, WorkItems, Jobs, Tasks and TaskCollections
(kubatch.dev) against the cluster of its kubeconfig (in a pod: its ServiceAccount).

Flags:
  --config FILE                     the operator configuration (YAML or JSON; default
                                    $KUBATCH_CONFIG, else built-in defaults)
  --health-addr HOST:PORT           /healthz and /readyz (default 127.0.0.1:8081)
  --metrics-addr HOST:PORT          Prometheus /metrics (default 127.0.0.1:8080)
  --leader-elect                    run as one of several replicas: only the holder of the
                                    Lease reconciles (default false)
  --leader-election-namespace NS    the Lease's namespace (default $POD_NAMESPACE, else default)
  --leader-election-id NAME         the Lease's name (default kubatch-operator)
  --log-format text|json            log lines as text, or one JSON object each with ts, level
                                    and msg (default text)
  -h, --help                        this text
`;

export type OperatorFlags = {
  config?: string;
  healthAddr: string;
  metricsAddr: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  logFormat: "text" | "json";
};

export type ParsedFlags = { ok: true; flags: OperatorFlags } | { ok: true; help: true } | { ok: false; error: string };

export function parseOperatorFlags(argv: string[], env: NodeJS.ProcessEnv): ParsedFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        "health-addr": { type: "string", default: "127.0.0.1:8081" },
        "metrics-addr": { type: "string", default: "127.0.0.1:8080" },
        "leader-elect": { type: "boolean", default: false },
        "leader-election-namespace": { type: "string" },
        "leader-election-id": { type: "string", default: "kubatch-operator" },
        "log-format": { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { ok: true, help: true };
  const logFormat = values["log-format"];
  if (logFormat !== "text" && logFormat !== "json") return { ok: false, error: `--log-format: expected text or json, got "${String(logFormat)}"` };
  for (const flag of ["health-addr", "metrics-addr"]) {
    const problem = hostPortProblem(String(values[flag]));
    if (problem) return { ok: false, error: `--${flag}: ${problem}` };
  }
  const config = (values.config as string | undefined) ?? env.KUBATCH_CONFIG;
  return {
    ok: true,
    flags: {
      ...(config ? { config } : {}),
      healthAddr: values["health-addr"] as string,
      metricsAddr: values["metrics-addr"] as string,
      leaderElect: values["leader-elect"] as boolean,
      leaderElectionNamespace: (values["leader-election-namespace"] as string | undefined) ?? env.POD_NAMESPACE ?? "default",
      leaderElectionId: values["leader-election-id"] as string,
      logFormat,
    },
  };
}

/** host:port as the servers take it. */
export function splitHostPort(addr: string): [string, number] {
  const at = addr.lastIndexOf(":");
  return [addr.slice(0, at), Number(addr.slice(at + 1))];
}

function hostPortProblem(addr: string): string | undefined {
  const [, port] = splitHostPort(addr);
  if (!addr.includes(":") || addr.endsWith(":") || !Number.isInteger(port) || port < 0 || port > 65535) return `expected host:port, got "${addr}"`;
  return undefined;
}
