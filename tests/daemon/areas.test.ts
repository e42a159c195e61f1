// The daemon's lifecycle: the area runner (start order, reverse stop, a failed start, failed
// stops), the repeating chores areas own, and the real composition root started and stopped
// in this process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { startApp } from '../../daemon/src/app.js';
import { accountsArea } from '../../daemon/src/areas/accounts.js';
import { AreaRunner, type Area } from '../../daemon/src/areas/area.js';
import { repeat } from '../../daemon/src/areas/repeat.js';
import { systemClock, type Clock } from '../../daemon/src/clock.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { pidFilePath } from '../../daemon/src/pidfile.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

/** Time that moves only when a test says so: the runner's timings become exact. */
class ManualClock implements Clock {
  private t = 1_000_000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  sleep(): Promise<void> {
    throw new Error('the runner never sleeps');
  }
}

interface LogLine {
  level: 'debug' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLog(): { lines: LogLine[]; debug(obj: object, msg: string): void; error(obj: object, msg: string): void } {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (obj, msg) => lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
}

/** An area that records its starts and stops in `journal`, failing where told. */
function area(name: string, journal: string[], fail: { start?: boolean; stop?: boolean } = {}): Area {
  return {
    name,
    async start() {
      await Promise.resolve(); // a real start yields; order must hold across awaits
      if (fail.start) throw new Error(`${name} cannot start`);
      journal.push(`start ${name}`);
    },
    async stop() {
      await Promise.resolve();
      if (fail.stop) throw new Error(`${name} cannot stop`);
      journal.push(`stop ${name}`);
    },
  };
}

/** Active, referenced timers of this process (an unreleased area timer would show here). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('areas start in order, stop in reverse, once', async () => {
  const journal: string[] = [];
  const runner = new AreaRunner({ clock: systemClock, log: recordingLog() });
  for (const name of ['state', 'datastore', 'jobs', 'http']) await runner.start(area(name, journal));
  assert.deepEqual(runner.names(), ['state', 'datastore', 'jobs', 'http']);
  assert.deepEqual(await runner.stop(), []);
  assert.deepEqual(journal, [
    'start state', 'start datastore', 'start jobs', 'start http',
    'stop http', 'stop jobs', 'stop datastore', 'stop state',
  ]);
  assert.deepEqual(await runner.stop(), [], 'a second stop stops nothing');
  assert.equal(journal.length, 8);
});

test('a failed start stops the areas started before it, newest first, and not itself', async () => {
  const journal: string[] = [];
  const runner = new AreaRunner({ clock: systemClock, log: recordingLog() });
  await runner.start(area('a', journal));
  await runner.start(area('b', journal));
  await assert.rejects(runner.start(area('c', journal, { start: true })), /c cannot start/);
  assert.deepEqual(journal, ['start a', 'start b', 'stop b', 'stop a']);
  assert.deepEqual(runner.names(), []);
  // the composition root's own clean-up after a failure stops nothing twice
  assert.deepEqual(await runner.stop(), []);
  assert.equal(journal.length, 4);
});

test('a failed stop is logged and reported; the other areas still stop', async () => {
  const journal: string[] = [];
  const log = recordingLog();
  const runner = new AreaRunner({ clock: systemClock, log });
  await runner.start(area('a', journal));
  await runner.start(area('b', journal, { stop: true }));
  await runner.start(area('c', journal, { stop: true }));
  await runner.start(area('d', journal));
  const failures = await runner.stop();
  assert.deepEqual(failures.map((f) => [f.area, (f.error as Error).message]), [['c', 'c cannot stop'], ['b', 'b cannot stop']]);
  assert.deepEqual(journal.slice(4), ['stop d', 'stop a']);
  assert.deepEqual(log.lines.filter((l) => l.level === 'error').map((l) => [l.obj.area, l.msg]), [
    ['c', 'shutdown step failed'], ['b', 'shutdown step failed'],
  ]);
});

test('the runner logs how long each area took to start and to stop, on its clock', async () => {
  const clock = new ManualClock();
  const log = recordingLog();
  const runner = new AreaRunner({ clock, log });
  await runner.start({ name: 'slow', start: () => clock.advance(1500), stop: () => clock.advance(40) });
  await runner.start({ name: 'quick', start: () => {}, stop: () => clock.advance(7) });
  await runner.stop();
  assert.deepEqual(log.lines.map((l) => [l.msg, l.obj.area, l.obj.ms]), [
    ['area started', 'slow', 1500], ['area started', 'quick', 0],
    ['area stopped', 'quick', 7], ['area stopped', 'slow', 40],
  ]);
});

test('repeat: ticks until stopped, a failing tick does not end it, and stop clears its timer', async () => {
  const before = timers();
  let ticks = 0;
  const errors: unknown[] = [];
  const r = repeat(systemClock, 5, () => {
    ticks++;
    if (ticks === 2) throw new Error('one bad tick');
  }, (err) => errors.push(err));
  assert.equal(timers(), before + 1);
  while (ticks < 4) await new Promise((resolve) => setTimeout(resolve, 5));
  await r.stop();
  assert.equal(timers(), before, 'the sleeping timer is cleared at stop');
  assert.deepEqual(errors.map((e) => (e as Error).message), ['one bad tick']);
  const seen = ticks;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(ticks, seen, 'no tick after stop');
});

test('repeat: stop waits for a running tick', async () => {
  let release = (): void => {};
  let ended = false;
  let tickStarted = (): void => {};
  const inTick = new Promise<void>((resolve) => (tickStarted = resolve));
  const r = repeat(systemClock, 1, async () => {
    tickStarted();
    await new Promise<void>((resolve) => (release = resolve));
    ended = true;
  }, (err) => assert.fail(String(err)));
  await inTick;
  let stopped = false;
  const stopping = r.stop().then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(stopped, false, 'stop waits while a tick runs');
  release();
  await stopping;
  assert.equal(ended, true);
});

test('an area\'s timers are its own: the accounts area clears its sweep at stop', async (t) => {
  const dir = tempDir(t);
  const state = openStateDb(dir);
  t.after(() => state.close());
  const accounts = accountsArea({ state, dataDir: dir, clock: systemClock, log: pino({ level: 'silent' }) });
  const before = timers();
  accounts.start();
  assert.equal(timers(), before + 1, 'the hourly sweep waits on a timer');
  await accounts.stop();
  assert.equal(timers(), before);
});

async function takenPort(t: { after(fn: () => void): void }): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.after(() => s.close());
  const address = s.address();
  assert.ok(address && typeof address === 'object');
  return address.port;
}

test('the composition root: a failed start leaves the state directory free; a clean start and close leave no timers', async (t) => {
  const dir = tempDir(t);
  const log = pino({ level: 'silent' });
  const config = (listen: string) => loadConfig({ env: {}, flags: { dataDir: dir, listen, disks: { discovery: false } } });
  // The listener is the last area to start: everything before it has started when it fails.
  const port = await takenPort(t);
  await assert.rejects(startApp(config(`127.0.0.1:${port}`), log), /EADDRINUSE/);
  assert.equal(existsSync(pidFilePath(dir)), false, 'the pid file was released');

  const before = timers();
  // Starting again proves the state database and the datastore were closed.
  const app = await startApp(config('127.0.0.1:0'), log);
  assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${app.url}/api/v1/health`);
  assert.equal(health.status, 200);
  await app.close();
  assert.equal(existsSync(pidFilePath(dir)), false);
  assert.equal(timers(), before, 'every area cleared its timers');
});
