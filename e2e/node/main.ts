// The local process node: a kubelet stand-in that runs the pods bound to it as host
// processes against a real kube-apiserver. See README.md beside this file.

import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { parseNodeArgs } from './cli.ts';
import { serviceEnvFor } from './env.ts';
import { KubeObjects } from './kube-objects.ts';
import { Kubelet } from './kubelet.ts';
import { startLogServer } from './log-server.ts';
import { NodeHeartbeat } from './node-heartbeat.ts';
import { hostIP } from './pod-status.ts';
import { PodInformer } from './pod-informer.ts';

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

async function main(): Promise<void> {
  const opts = parseNodeArgs(process.argv.slice(2));
  mkdirSync(path.join(opts.stateDir, 'pods'), { recursive: true });
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`no current cluster in ${opts.kubeconfig}`);
  const apiURL = new URL(server);
  const apiPort = Number(apiURL.port || 443);
  const core = kc.makeApiClient(CoreV1Api);

  const kubeletVersion = (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
  const kubelet = new Kubelet(core, {
    stateDir: opts.stateDir,
    facts: { nodeName: opts.name, hostIP, podIP: hostIP, allocatable: { cpu: opts.cpu, memory: opts.memory, 'ephemeral-storage': '100Gi' } },
    serviceEnv: serviceEnvFor(apiPort),
    clusterId: process.env.KUBATCH_CLUSTER_ID,
    objects: new KubeObjects(core),
    log,
  });
  const logServer = await startLogServer(
    { port: opts.port, certFile: opts.tlsCertFile, keyFile: opts.tlsPrivateKeyFile },
    (ns, pod) => kubelet.runtimeFor(ns, pod),
    log,
  );
  const heartbeat = new NodeHeartbeat(core, kc.makeApiClient(CoordinationV1Api), {
    name: opts.name, cpu: opts.cpu, memory: opts.memory, pods: opts.pods,
    kubeletPort: (logServer.address() as AddressInfo).port, kubeletVersion,
  }, log);
  await heartbeat.register();
  heartbeat.start();

  const informer = new PodInformer(kc, core, opts.name, (key) => kubelet.queue.add(key), log);
  kubelet.attach(informer);
  await informer.start();
  log(`node ${opts.name} ready (apiserver ${server}, ${kubeletVersion}, state ${opts.stateDir})`);

  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: killing all containers and exiting`);
    heartbeat.stop();
    await informer.stop();
    await kubelet.shutdown();
    logServer.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// One bad pod must not take the node down with it.
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));

main().catch((err) => {
  log(`fatal: ${(err as Error)?.stack ?? err}`);
  process.exit(1);
});
