import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConditions, buildPodStatus, podPhase, type ContainerRecord, type ContainerState, type PodRecord } from './pod-status.ts';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const waiting = (reason = 'ContainerCreating'): ContainerState => ({ waiting: { reason } });
const running: ContainerState = { running: { startedAt: T0 } };
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: T1 } });

function c(name: string, state: ContainerState, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return { name, image: 'busybox', imageID: 'x', restartCount: 0, state, ready: 'running' in state, started: 'running' in state, ...extra };
}
function pod(p: Partial<PodRecord>): PodRecord {
  return { restartPolicy: 'Always', init: [], main: [], sandboxReady: true, terminal: false, readinessGates: [], ...p };
}

const phaseCases: Record<string, { rec: PodRecord; want: string }> = {
  'nothing started': { rec: pod({ main: [c('a', waiting())] }), want: 'Pending' },
  'running': { rec: pod({ main: [c('a', running)] }), want: 'Running' },
  'init running': { rec: pod({ init: [c('i', running)], main: [c('a', waiting('PodInitializing'))] }), want: 'Pending' },
  'init failed, Never': { rec: pod({ restartPolicy: 'Never', init: [c('i', exited(1))], main: [c('a', waiting('PodInitializing'))] }), want: 'Failed' },
  'init failed, OnFailure restarting': {
    rec: pod({ restartPolicy: 'OnFailure', init: [c('i', waiting('CrashLoopBackOff'), { lastState: exited(1) })], main: [c('a', waiting('PodInitializing'))] }),
    want: 'Pending',
  },
  'Never, all succeeded': { rec: pod({ restartPolicy: 'Never', main: [c('a', exited(0)), c('b', exited(0))] }), want: 'Succeeded' },
  'Never, one failed': { rec: pod({ restartPolicy: 'Never', main: [c('a', exited(0)), c('b', exited(3))] }), want: 'Failed' },
  'Never, one still running': { rec: pod({ restartPolicy: 'Never', main: [c('a', exited(3)), c('b', running)] }), want: 'Running' },
  'OnFailure, failed restarting': { rec: pod({ restartPolicy: 'OnFailure', main: [c('a', exited(1))] }), want: 'Running' },
  'Always, exited 0 restarting': { rec: pod({ main: [c('a', exited(0))] }), want: 'Running' },
  'Always, crash loop': { rec: pod({ main: [c('a', waiting('CrashLoopBackOff'), { lastState: exited(1), restartCount: 2 })] }), want: 'Running' },
  'terminal after deletion, killed': { rec: pod({ terminal: true, main: [c('a', exited(143))] }), want: 'Failed' },
  'terminal after deletion, clean exit': { rec: pod({ terminal: true, main: [c('a', exited(0))] }), want: 'Succeeded' },
  'terminal phase is sticky': { rec: pod({ previousPhase: 'Succeeded', main: [c('a', running)] }), want: 'Succeeded' },
};
for (const [name, tc] of Object.entries(phaseCases)) {
  test(`podPhase: ${name}`, () => assert.equal(podPhase(tc.rec), tc.want));
}

type Conds = Record<string, { status: string; reason?: string }>;
const condCases: Record<string, { rec: PodRecord; want: Conds }> = {
  'running and ready': {
    rec: pod({ main: [c('a', running)] }),
    want: { PodReadyToStartContainers: { status: 'True' }, Initialized: { status: 'True' }, Ready: { status: 'True' }, ContainersReady: { status: 'True' } },
  },
  'init pending': {
    rec: pod({ init: [c('i', running)], main: [c('a', waiting('PodInitializing'))] }),
    want: {
      PodReadyToStartContainers: { status: 'True' },
      Initialized: { status: 'False', reason: 'ContainersNotInitialized' },
      Ready: { status: 'False', reason: 'ContainersNotReady' },
      ContainersReady: { status: 'False', reason: 'ContainersNotReady' },
    },
  },
  'completed': {
    rec: pod({ restartPolicy: 'Never', init: [c('i', exited(0))], main: [c('a', exited(0))] }),
    want: {
      PodReadyToStartContainers: { status: 'False' },
      Initialized: { status: 'True', reason: 'PodCompleted' },
      Ready: { status: 'False', reason: 'PodCompleted' },
      ContainersReady: { status: 'False', reason: 'PodCompleted' },
    },
  },
  'readiness gate not satisfied': {
    rec: pod({ main: [c('a', running)], readinessGates: [{ type: 'example.com/gate', status: undefined }] }),
    want: {
      PodReadyToStartContainers: { status: 'True' }, Initialized: { status: 'True' },
      Ready: { status: 'False', reason: 'ReadinessGatesNotReady' }, ContainersReady: { status: 'True' },
    },
  },
};
for (const [name, tc] of Object.entries(condCases)) {
  test(`conditions: ${name}`, () => {
    const got: Conds = {};
    for (const cond of buildPodStatus(tc.rec, [], T0).conditions) {
      got[cond.type] = { status: cond.status, ...(cond.reason ? { reason: cond.reason } : {}) };
    }
    assert.deepEqual(got, tc.want);
  });
}

test('lastTransitionTime moves only when the status flips', () => {
  const first = buildConditions({ Ready: { status: 'False' }, Initialized: { status: 'True' } }, [], T0);
  const second = buildConditions({ Ready: { status: 'True' }, Initialized: { status: 'True' } }, first, T1);
  assert.deepEqual(second.map((x) => [x.type, x.lastTransitionTime]), [['Ready', T1], ['Initialized', T0]]);
});

test('status carries IPs, sorted container statuses and no qosClass', () => {
  const s = buildPodStatus(pod({ startTime: T0, main: [c('b', running), c('a', running, { containerID: 'process://7' })] }), [], T0);
  assert.equal(s.hostIP, '127.0.0.1');
  assert.deepEqual(s.podIPs, [{ ip: '127.0.0.1' }]);
  assert.equal(s.startTime, T0);
  assert.equal('qosClass' in s, false);
  const statuses = s.containerStatuses as { name: string; containerID?: string; lastState: unknown }[];
  assert.deepEqual(statuses.map((x) => x.name), ['a', 'b']);
  assert.equal(statuses[0]?.containerID, 'process://7');
  assert.deepEqual(statuses[1]?.lastState, {});
});
