import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNodeArgs } from './cli.ts';

const base = ['--kubeconfig', 'k', '--name', 'n', '--state-dir', 's', '--tls-cert-file', 'c', '--tls-private-key-file', 'p'];

const cases: Record<string, { argv: string[]; want?: Record<string, unknown>; error?: RegExp }> = {
  'defaults': { argv: base, want: { port: 0, cpu: '2', memory: '8Gi', pods: '110', stateDir: 's' } },
  'equals syntax and overrides': { argv: [...base, '--port=10250', '--cpu', '4', '--memory=16Gi'], want: { port: 10250, cpu: '4', memory: '16Gi' } },
  'missing required': { argv: ['--name', 'n'], error: /missing --kubeconfig, --state-dir/ },
  'bad port': { argv: [...base, '--port', 'x'], error: /invalid --port/ },
  'unknown flag': { argv: [...base, '--bogus'], error: /bogus/ },
};
for (const [name, tc] of Object.entries(cases)) {
  test(`parseNodeArgs: ${name}`, () => {
    if (tc.error) return assert.throws(() => parseNodeArgs(tc.argv), tc.error);
    const got = parseNodeArgs(tc.argv) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(tc.want ?? {})) assert.equal(got[k], v, k);
  });
}
