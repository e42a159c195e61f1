// Type=notify as systemd sees it: READY=1 once serving, WATCHDOG=1 at half of WATCHDOG_USEC,
// STOPPING=1 on SIGTERM, each datagram from the daemon's own pid (NotifyAccess=main).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { notifySocket } from '../helpers/notify-socket.js';
import { hasCommand, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

test('READY, then WATCHDOG, then STOPPING on SIGTERM, all from the daemon\'s pid (abstract socket)', async (t) => {
  if (!need(t, hasCommand('python3'), 'the notify socket stand-in needs python3')) return;
  const socket = await notifySocket(t, `@haven-notify-test-${randomBytes(6).toString('hex')}`);
  const d = await startDaemon(t, {
    dataDir: tempDir(t),
    // 400 ms watchdog: a heartbeat every 200 ms
    env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '400000' },
  });
  const pid = d.proc.pid as number;
  const ready = await socket.waitFor((n) => n.message.startsWith('READY=1'));
  assert.match(ready.message, /^READY=1\nSTATUS=serving on http:\/\/127\.0\.0\.1:\d+$/);
  await socket.waitFor((n) => n.message === 'WATCHDOG=1' && socket.received.indexOf(n) > socket.received.indexOf(ready));
  const beats = socket.received.filter((n) => n.message === 'WATCHDOG=1').length;
  assert.equal(await d.stop('SIGTERM'), 0);
  await socket.waitFor((n) => n.message.startsWith('STOPPING=1'));

  const kinds = socket.received.map((n) => n.message.split('\n')[0]);
  assert.equal(kinds[0], 'READY=1');
  assert.equal(kinds[kinds.length - 1], 'STOPPING=1');
  assert.ok(kinds.slice(1, -1).every((k) => k === 'WATCHDOG=1') && kinds.length >= 3, kinds.join(' '));
  assert.ok(beats >= 1);
  for (const n of socket.received) assert.equal(n.pid, pid, `${n.message.split('\n')[0]} came from pid ${n.pid}, not havend's ${pid}`);
});

test('a socket path works too, and WATCHDOG_PID of another process means no heartbeat from us', async (t) => {
  if (!need(t, hasCommand('python3'), 'the notify socket stand-in needs python3')) return;
  const dir = tempDir(t);
  const socket = await notifySocket(t, join(dir, 'notify.sock'));
  const d = await startDaemon(t, { dataDir: join(dir, 'state'), env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' } });
  await socket.waitFor((n) => n.message.startsWith('READY=1'));
  await new Promise((r) => setTimeout(r, 300)); // six would-be heartbeats
  assert.equal(await d.stop('SIGTERM'), 0);
  await socket.waitFor((n) => n.message.startsWith('STOPPING=1'));
  assert.deepEqual(socket.received.map((n) => n.message.split('\n')[0]), ['READY=1', 'STOPPING=1']);
  for (const n of socket.received) assert.equal(n.pid, d.proc.pid);
});

test('without NOTIFY_SOCKET the daemon says nothing and needs nothing', async (t) => {
  const d = await startDaemon(t, { dataDir: tempDir(t), env: { WATCHDOG_USEC: '100000' } });
  assert.equal(await d.stop('SIGTERM'), 0, `${d.proc.signalCode}\n${d.output()}`);
  assert.doesNotMatch(d.output(), /notify|sd_notify/i);
});
