// `kubatch node remove NODE... [--deallocation OPTION]`: Azure Batch's "remove nodes" — the
// named nodes leave the pool and its target comes down by as many. Each node pod gets the
// annotation kubatch.dev/remove (its deallocation option): the operator schedules nothing more
// there, releases its tasks as the option says, and removes it before any other node. Then the
// pool's spec target is lowered (with its resourceVersion, tried again on a conflict).
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { nodeDeallocationOptions, nodeTypeLabel, poolLabel, removeCountedAnnotation, removeNodeAnnotation } from "../api/labels.ts";
import { mergePatch } from "../kube/apply.ts";
import { apiMessage, connect, getPool, poolsResource, statusCode, type Cluster } from "./kube.ts";
import { annotateNode, nodePod } from "./node-scheduling.ts";
import { choiceOption, clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, UsageError } from "./usage.ts";

export const nodeRemoveHelp = `usage: kubatch node remove NODE... [--deallocation requeue|terminate|taskcompletion|retaineddata] [options]

Removes the named nodes (pods of one pool) from their pool, as Azure Batch's "remove nodes":
the pool's target comes down by as many, and these nodes leave, not others. No new task goes
to them meanwhile; what happens to their running tasks (--deallocation, default the pool's
nodeDeallocationOption):
  requeue         they are stopped and go back to the queue, to run on another node
  terminate       they are stopped and complete as failed (failureInfo.code TaskEnded)
  taskcompletion  they run to their end, then the node goes
  retaineddata    as taskcompletion (a node pod keeps no data after it goes)
A pool that autoscales is refused: its formula sets the node count. A GitOps tool that owns
the pool's targetDedicatedNodes sets it back (and new nodes come): lower it there instead.
${clusterOptionsHelp}`;

export async function nodeRemove(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, deallocation: { type: "string" } } });
  if (positionals.length === 0) throw new UsageError("NODE: name at least one node (kubatch node list POOL names them)");
  const option = values.deallocation === undefined ? undefined : choiceOption("--deallocation", values.deallocation, nodeDeallocationOptions);
  const cluster = connect(values);
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const names = [...new Set(positionals)];
  const pods: V1Pod[] = [];
  for (const name of names) pods.push(await nodePod(cluster, core, name));
  const pools = new Set(pods.map((p) => p.metadata!.labels![poolLabel]!));
  if (pools.size > 1) throw new CliError(`the nodes belong to ${pools.size} pools (${[...pools].join(", ")}): remove one pool's nodes at a time`);
  const poolName = [...pools][0]!;
  const pool = await getPool(cluster, poolName);
  if (pool.spec?.enableAutoScale) throw new CliError(`pool "${poolName}" autoscales: its formula sets the node count; removing named nodes needs a pool with a fixed size`);
  const deallocation = option ?? pool.spec?.nodeDeallocationOption ?? "Requeue";
  // Idempotent: a node the target already came down for is not counted again; one whose
  // earlier removal stopped before the target came down is.
  const fresh = pods.filter((p) => p.metadata?.annotations?.[removeCountedAnnotation] === undefined && !p.metadata?.deletionTimestamp);
  for (const p of fresh) await annotateNode(cluster, p.metadata!.name!, { [removeNodeAnnotation]: p.metadata?.annotations?.[removeNodeAnnotation] ?? deallocation }, p);
  const lowPriority = fresh.filter((p) => p.metadata?.labels?.[nodeTypeLabel] === "lowpriority").length;
  const dedicated = fresh.length - lowPriority;
  const [from, to] = await lowerTargets(cluster, poolName, dedicated, lowPriority);
  // A node gone meanwhile (its tasks released, the scale-in took it) has nothing to mark.
  for (const p of fresh) await annotateNode(cluster, p.metadata!.name!, { [removeCountedAnnotation]: "true" }, p).catch(() => undefined);
  for (const p of pods) console.log(`node ${p.metadata!.name}: ${fresh.includes(p) ? `leaving pool ${poolName} (running tasks: ${deallocation})` : "already leaving"}`);
  console.log(`pool ${poolName}: target ${from.join("+")} → ${to.join("+")} (dedicated+low-priority)`);
  return 0;
}

/** Lowers the pool's spec targets by the counts, from the pool as it is now (a conflict: read again). */
async function lowerTargets(cluster: Cluster, name: string, dedicated: number, lowPriority: number): Promise<[number[], number[]]> {
  for (let attempt = 0; ; attempt++) {
    const pool = await getPool(cluster, name);
    const from = [pool.spec?.targetDedicatedNodes ?? 0, pool.spec?.targetLowPriorityNodes ?? 0];
    const to = [Math.max(0, from[0]! - dedicated), Math.max(0, from[1]! - lowPriority)];
    if (dedicated === 0 && lowPriority === 0) return [from, to];
    try {
      await cluster.custom.patchNamespacedCustomObject(
        { ...poolsResource, namespace: cluster.namespace, name, body: { metadata: { resourceVersion: pool.metadata?.resourceVersion }, spec: { ...(dedicated > 0 ? { targetDedicatedNodes: to[0] } : {}), ...(lowPriority > 0 ? { targetLowPriorityNodes: to[1] } : {}) } } },
        mergePatch,
      );
      return [from, to];
    } catch (err) {
      if (statusCode(err) === 409 && attempt < 4) continue;
      throw new CliError(`lowering the target of pool "${name}": ${apiMessage(err)}`);
    }
  }
}
