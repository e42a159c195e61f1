// The gate a peer's pulls wait at (daemon/src/replication/peer-gate.ts) on a fixed clock:
// outside every window each waiter (the follow loop, a pull, its streams) says until when and
// waits; an edit that opens a window wakes them all at once; a stop wakes them too. A paused
// peer holds them until resumed; a closed gate (its puller stopping) refuses them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerInfo } from '../../core/src/api/replication.js';
import { PeerGate } from '../../daemon/src/replication/peer-gate.js';

process.env.TZ = 'UTC';

const MONDAY_NOON = Date.UTC(2026, 11, 7, 12, 0);
const peer = (windows: string[]): PeerInfo => ({
  name: 'p', url: 'http://127.0.0.1:1', fingerprint: null, groups: null, groupPrefix: null, schedule: 'follow', lagAlert: '1h',
  added: new Date(0).toISOString(), rateLimit: null, windows, propagateDeletesAfter: null, deleteBrake: null,
});

test('outside its windows every waiter waits until an edit opens one', async () => {
  const gate = new PeerGate(peer(['Mon-Fri 19:00-07:00']), () => MONDAY_NOON);
  const stop = new AbortController();
  let passed = 0;
  const waiters = [gate.open(stop.signal), gate.open(stop.signal)].map((w) => w.then(() => passed++));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(passed, 0, 'closed at noon on a Monday');
  assert.equal(gate.outsideUntil, Date.UTC(2026, 11, 7, 19, 0), 'until the evening');
  gate.update(peer(['00:00-24:00']));
  await Promise.all(waiters);
  assert.equal(passed, 2);
  assert.equal(gate.outsideUntil, null);
});

test('a stop ends the wait; inside a window the gate is open at once', async () => {
  const closed = new PeerGate(peer(['Sat 10:00-11:00']), () => MONDAY_NOON);
  const stop = new AbortController();
  const waiting = closed.open(stop.signal);
  stop.abort();
  await waiting;
  const open = new PeerGate(peer(['Mon 11:00-13:00']), () => MONDAY_NOON);
  await open.open(new AbortController().signal);
  assert.equal(open.outsideUntil, null);
});

test('a paused peer holds every waiter, inside a window too, until resumed; a closed gate refuses them', async () => {
  const paused = { ...peer([]), paused: { since: new Date(MONDAY_NOON).toISOString(), by: 'admin' } };
  const gate = new PeerGate(paused, () => MONDAY_NOON);
  assert.equal(gate.isPaused, true);
  const stop = new AbortController();
  let passed = 0;
  const waiters = [gate.open(stop.signal), gate.open(stop.signal)].map((w) => w.then(() => passed++));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(passed, 0, 'held while paused');
  assert.equal(gate.outsideUntil, null, 'a pause is not a window');
  gate.update(peer([]));
  await Promise.all(waiters);
  assert.equal(passed, 2, 'resumed: all go on');

  gate.update(paused);
  const held = gate.open(stop.signal);
  gate.close();
  await assert.rejects(held, (err: { code?: string }) => err.code === 'SHUTTING_DOWN', 'a stopping puller ends a held pull');
  await assert.rejects(gate.open(stop.signal), (err: { code?: string }) => err.code === 'SHUTTING_DOWN');
});
