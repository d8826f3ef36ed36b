import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, imageRepository, resolveImage, UnknownImageError } from './images.ts';

const repoCases: Record<string, { in: string; want: string }> = {
  'bare name': { in: 'busybox', want: 'busybox' },
  'tag': { in: 'busybox:1.36', want: 'busybox' },
  'digest': { in: 'busybox@sha256:abc', want: 'busybox' },
  'docker hub library': { in: 'docker.io/library/alpine:3', want: 'alpine' },
  'docker hub user': { in: 'docker.io/bitnami/kubectl:1.34', want: 'bitnami/kubectl' },
  'registry with port': { in: 'localhost:5000/kubatch/task-runner:dev', want: 'localhost:5000/kubatch/task-runner' },
  'registry.k8s.io': { in: 'registry.k8s.io/pause:3.10', want: 'registry.k8s.io/pause' },
};
for (const [name, tc] of Object.entries(repoCases)) {
  test(`imageRepository: ${name}`, () => assert.equal(imageRepository(tc.in), tc.want));
}

const resolveCases: Record<string, { image: string; entrypointEnds: string | undefined; cmd: string[] }> = {
  'busybox uses host shell': { image: 'busybox:latest', entrypointEnds: undefined, cmd: ['sh'] },
  'ubuntu uses host shell': { image: 'ubuntu:24.04', entrypointEnds: undefined, cmd: ['sh'] },
  'pause sleeps': { image: 'registry.k8s.io/pause:3.10', entrypointEnds: 'sleep', cmd: [] },
  'task-runner under any registry': { image: 'ghcr.io/x/kubatch/task-runner:1', entrypointEnds: 'node', cmd: [] },
  'operator': { image: 'kubatch/operator', entrypointEnds: 'node', cmd: [] },
};
for (const [name, tc] of Object.entries(resolveCases)) {
  test(`resolveImage: ${name}`, () => {
    const r = resolveImage(tc.image);
    assert.equal(r.entrypoint[0]?.split('/').pop(), tc.entrypointEnds);
    assert.deepEqual(r.cmd, tc.cmd);
  });
}

test('resolveImage: task-runner runs its main.ts', () => {
  assert.match(resolveImage('kubatch/task-runner').entrypoint[1] ?? '', /task-runner\/src\/main\.ts$/);
});

test('resolveImage: unknown image names the table', () => {
  assert.throws(() => resolveImage('nginx:1.27'), (err: unknown) =>
    err instanceof UnknownImageError && /nginx:1\.27/.test(err.message) && /e2e\/node\/images\.ts/.test(err.message));
});

const argvCases: Record<string, { command?: string[]; args?: string[]; want: string[] }> = {
  'neither: entrypoint + cmd': { want: ['/ep', 'default'] },
  'args replace cmd': { args: ['a'], want: ['/ep', 'a'] },
  'command replaces both': { command: ['sh', '-c'], want: ['sh', '-c'] },
  'command + args': { command: ['sh', '-c'], args: ['echo hi'], want: ['sh', '-c', 'echo hi'] },
};
for (const [name, tc] of Object.entries(argvCases)) {
  test(`containerArgv: ${name}`, () => {
    assert.deepEqual(containerArgv({ entrypoint: ['/ep'], cmd: ['default'], pathPrepend: [] }, tc.command, tc.args), tc.want);
  });
}
