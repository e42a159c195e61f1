// The swap state machine, pure: the steps of each path, what is allowed where (cancel only
// until the rebuild has finished), step times, and the words a screen shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedActions, enter, instructionFor, nextStep, stepRecords, stepsOf, type SwapRecord } from '../../daemon/src/pool/swap/swap-machine.js';

function record(path: SwapRecord['path']): SwapRecord {
  return {
    id: 'abc-12345678', pool: 'haven', created: 't0', updated: 't0', path, reason: path === 'missing' ? 'missing' : 'smart',
    step: 'locate', state: 'waiting',
    old: { diskId: '0123456789abcdef', devid: 2, serial: 'WD-WX11D1234567', model: 'WDC WD40EFRX', sizeBytes: 4e12, slot: 'pci-0000:00:17.0-ata-3' },
    new: null, phase: null, times: { locate: { started: 't0', ended: null } }, results: {}, progress: null, locate: null, taskId: null, error: null,
  };
}

test('each path walks its steps; the missing path has no disk to pull', () => {
  assert.deepEqual(stepsOf('present'), ['locate', 'insert-new', 'rebuilding', 'scrubbing', 'verifying', 'remove-old', 'done']);
  assert.deepEqual(stepsOf('missing'), ['locate', 'insert-new', 'rebuilding', 'scrubbing', 'verifying', 'done']);
  assert.equal(nextStep('present', 'verifying'), 'remove-old');
  assert.equal(nextStep('missing', 'verifying'), 'done');

  let r = record('missing');
  let t = 0;
  for (const step of stepsOf('missing').slice(1)) r = enter(r, step, `t${++t}`);
  assert.equal(r.state, 'finished');
  assert.deepEqual(stepRecords(r).map((s) => `${s.step}:${s.state}`), ['locate:done', 'insert-new:done', 'rebuilding:done', 'scrubbing:done', 'verifying:done', 'done:done']);
  assert.deepEqual(r.times.rebuilding, { started: 't2', ended: 't3' });
  assert.equal(r.phase, null, 'the rebuild phase is only kept while rebuilding');
});

test('human steps wait with confirm; cancel only until the rebuild has finished; failures offer retry', () => {
  const r = record('present');
  assert.deepEqual(allowedActions(r), ['confirm', 'cancel']);
  const rebuilding = enter(r, 'rebuilding', 't1');
  assert.equal(rebuilding.state, 'working');
  assert.equal(rebuilding.phase, 'wipe');
  assert.deepEqual(allowedActions(rebuilding), ['cancel']);
  assert.deepEqual(allowedActions(enter(rebuilding, 'scrubbing', 't2')), [], 'after the rebuild there is nothing to undo');
  assert.deepEqual(allowedActions({ step: 'verifying', state: 'failed' }), ['retry']);
  assert.deepEqual(allowedActions({ step: 'rebuilding', state: 'failed' }), ['retry', 'cancel']);
  assert.deepEqual(allowedActions(enter(rebuilding, 'remove-old', 't3')), ['confirm']);
  const cancelled = enter(r, 'cancelled', 't4');
  assert.equal(cancelled.state, 'finished');
  assert.deepEqual(allowedActions(cancelled), []);
  assert.equal(stepRecords(cancelled).at(-1)?.step, 'cancelled');
});

test('instructions name the disk, its slot and what to type', () => {
  const present = record('present');
  assert.match(instructionFor({ ...present, locate: { method: 'activity', active: true, detail: '' } }), /Find WDC WD40EFRX, serial WD-WX11D1234567 in slot pci-0000:00:17\.0-ata-3: its activity light flickers in bursts\..*last four characters of its serial/);
  assert.match(instructionFor({ ...present, step: 'insert-new' }), /keeping WDC WD40EFRX, serial WD-WX11D1234567 in place/);
  assert.match(instructionFor(record('missing')), /is gone from the pool/);
  const noSerial = { ...present, old: { ...present.old, serial: null } };
  assert.match(instructionFor(noSerial), /disk id \(shown here; it has no serial\)/);
  assert.match(instructionFor({ ...present, step: 'rebuilding', state: 'failed', error: { code: 'X', message: 'boom' } }), /failed: boom\. Retry it, or cancel/);
});
