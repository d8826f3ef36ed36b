import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from './work-queue.ts';

test('de-duplicates keys waiting in the queue', async () => {
  const seen: string[] = [];
  const q = new WorkQueue(async (k) => { seen.push(k); }, { concurrency: 1, onError: () => {} });
  q.add('busy');
  q.add('a');
  q.add('a');
  q.add('b');
  await sleep(20);
  assert.deepEqual(seen, ['busy', 'a', 'b']);
});

test('never runs one key concurrently, and reruns a key added while it ran', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const q = new WorkQueue(async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    runs++;
    await sleep(20);
    running--;
  }, { concurrency: 4, onError: () => {} });
  q.add('k');
  await sleep(5);
  q.add('k');
  q.add('k');
  await sleep(80);
  assert.equal(maxRunning, 1);
  assert.equal(runs, 2);
});

test('retries a failing key', async () => {
  let calls = 0;
  const errors: string[] = [];
  const q = new WorkQueue(async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
  }, { concurrency: 1, onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) });
  q.add('k');
  await sleep(700);
  q.stop();
  assert.equal(calls, 2);
  assert.deepEqual(errors, ['k: boom']);
});
