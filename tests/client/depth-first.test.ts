// The backup walk's directory scans (client/src/backup/depth-first.ts): at most `limit` at
// once, and those that wait start in the tree's pre-order whatever order they were asked in,
// so a subtree finishes before its next sibling's begins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DepthFirst } from '../../client/src/backup/depth-first.js';

/** A task that runs until `finish()`; `started` says whether it began. */
function held(): { task: () => Promise<void>; finish: () => void; started: () => boolean } {
  let begun = false;
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { task: () => { begun = true; return done; }, finish: () => finish(), started: () => begun };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('scans beyond the limit wait, and start in pre-order as slots free up', async () => {
  const gate = new DepthFirst(2);
  const order: string[] = [];
  const a = held();
  const b = held();
  const runA = gate.run([0], a.task);
  const runB = gate.run([1], b.task);
  // asked for in an order unlike the tree's: a later sibling, a deep child, its parent's sibling
  const waiting = [[2], [0, 1, 0], [1, 0], [0, 1], [0, 0, 5]].map((place) => gate.run(place, async () => {
    order.push(place.join('.'));
  }));
  await tick();
  assert.ok(a.started() && b.started(), 'the first two run at once');
  assert.deepEqual(order, [], 'the rest wait for a slot');
  a.finish();
  b.finish();
  await Promise.all([runA, runB, ...waiting]);
  assert.deepEqual(order, ['0.0.5', '0.1', '0.1.0', '1.0', '2'], "the tree's pre-order");
});

test('a scan that fails frees its slot', async () => {
  const gate = new DepthFirst(1);
  await assert.rejects(gate.run([0], async () => {
    throw new Error('EACCES');
  }), /EACCES/);
  let ran = false;
  await gate.run([1], async () => {
    ran = true;
  });
  assert.ok(ran);
});

test('never more than the limit at once under many requests', async () => {
  const gate = new DepthFirst(3);
  let now = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 200 }, (_v, i) => gate.run([i % 7, i], async () => {
    now++;
    most = Math.max(most, now);
    await tick();
    now--;
  })));
  assert.equal(most, 3);
});
