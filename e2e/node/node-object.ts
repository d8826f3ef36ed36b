// The Node this process registers: labels, addresses, capacity and the heartbeat
// conditions controllers and the scheduler look at.

import os from 'node:os';
import { apiTime } from './pod-status.ts';

export interface NodeSpecOptions {
  name: string;
  cpu: string;
  memory: string;
  pods: string;
  kubeletPort: number;
  kubeletVersion: string;
  arch?: string;
}

export const containerRuntimeVersion = 'kubatch-process://0.1.0';

export function goArch(arch: string = process.arch): string {
  return arch === 'x64' ? 'amd64' : arch;
}

export function nodeLabels(name: string, arch: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    'node.kubernetes.io/instance-type': 'local-process',
  };
}

/** `status` for nodes/status, with heartbeats at `now` and transitions at `since`. */
export function nodeStatus(o: NodeSpecOptions, now: Date, since: Date): Record<string, unknown> {
  const arch = o.arch ?? goArch();
  const resources = { cpu: o.cpu, memory: o.memory, pods: o.pods, 'ephemeral-storage': '100Gi' };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type, status, reason, message, lastHeartbeatTime: apiTime(now), lastTransitionTime: apiTime(since),
  });
  return {
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'local process node is posting ready status'),
    ],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: o.name }],
    capacity: resources,
    allocatable: resources,
    daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort } },
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '',
      kernelVersion: os.release(),
      osImage: `${os.type()} (kubatch local process node)`,
      containerRuntimeVersion,
      kubeletVersion: o.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch,
    },
  };
}
