// Command line of the local process node.

import { parseArgs } from 'node:util';

export interface NodeOptions {
  kubeconfig: string;
  name: string;
  stateDir: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  port: number;
  cpu: string;
  memory: string;
  pods: string;
}

export const usage = 'usage: main.ts --kubeconfig <file> --name <node> --state-dir <dir> --tls-cert-file <f> --tls-private-key-file <f> '
  + '[--port <kubelet port, 0 = pick>] [--cpu 2] [--memory 8Gi] [--pods 110]';

export function parseNodeArgs(argv: string[]): NodeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      'state-dir': { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      port: { type: 'string', default: '0' },
      cpu: { type: 'string', default: '2' },
      memory: { type: 'string', default: '8Gi' },
      pods: { type: 'string', default: '110' },
    },
    strict: true,
  });
  const required = ['kubeconfig', 'name', 'state-dir', 'tls-cert-file', 'tls-private-key-file'] as const;
  const missing = required.filter((k) => !values[k]);
  if (missing.length > 0) throw new Error(`missing --${missing.join(', --')}\n${usage}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port "${values.port}"`);
  return {
    kubeconfig: values.kubeconfig as string,
    name: values.name as string,
    stateDir: values['state-dir'] as string,
    tlsCertFile: values['tls-cert-file'] as string,
    tlsPrivateKeyFile: values['tls-private-key-file'] as string,
    port,
    cpu: values.cpu as string,
    memory: values.memory as string,
    pods: values.pods as string,
  };
}
