// Runs the task-runner's `files` mode in a node pod's agent container through the pods/exec
// API (what `kubectl exec` uses): the node's files never leave it any other way, and reading
// them needs the same RBAC as exec (create on pods/exec in the namespace).
import { Writable } from "node:stream";
import { CoreV1Api, Exec, type V1Status } from "@kubernetes/client-node";
import { agentContainerName, taskRunnerEntrypoint } from "../api/node-contract.ts";
import { apiMessage, statusCode, type Cluster } from "./kube.ts";
import { CliError } from "./usage.ts";

/** Runs `task-runner files ARGS` on node `node` (its pod), its stdout into `stdout`; a CliError with its stderr when it fails. */
export async function execFiles(c: Cluster, node: string, args: string[], stdout: Writable): Promise<void> {
  try {
    await c.kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: node, namespace: c.namespace });
  } catch (err) {
    if (statusCode(err) === 404) throw new CliError(`node ${node} (its pod) is gone from namespace "${c.namespace}", and its files with it`);
    throw new CliError(`reading node ${node} (pod): ${apiMessage(err)}`);
  }
  let stderr = "";
  const errors = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
      done();
    },
  });
  const status = await new Promise<V1Status | undefined>((resolve, reject) => {
    let result: V1Status | undefined;
    new Exec(c.kc)
      .exec(c.namespace, node, agentContainerName, [...taskRunnerEntrypoint, "files", ...args], stdout, errors, null, false, (s) => {
        result = s;
      })
      .then((ws) => {
        ws.on("close", () => resolve(result));
        ws.on("error", reject);
      }, reject);
  }).catch((err: unknown) => {
    throw new CliError(`running task-runner files in node ${node} (pod ${node}, container ${agentContainerName}): ${err instanceof Error ? err.message : String(err)} (reading a node's files needs create on pods/exec)`);
  });
  if (status?.status !== "Success") {
    const said = stderr.trim().replace(/^task-runner files: /, "");
    throw new CliError(said || `node ${node}: ${status?.message ?? "the exec ended without a status"}`);
  }
}
