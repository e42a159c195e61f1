// havend's exit codes (daemon/src/cli/exit-codes.ts, README "Commands"): scripts tell a bad
// command line from a daemon that is not running from a command that found a problem.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { havend, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

test('the table keeps its published numbers', () => {
  assert.deepEqual(EXIT, { ok: 0, failure: 1, usage: 2, daemonNotRunning: 3 });
});

test('commands that need the daemon exit 3 with DAEMON_NOT_RUNNING when none runs on the state directory', (t) => {
  const dataDir = tempDir(t);
  for (const args of [['disks'], ['pool', 'status'], ['swap', 'status'], ['disks', '--json']]) {
    const r = havend([...args, '--data', dataDir]);
    assert.equal(r.code, EXIT.daemonNotRunning, `havend ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /is not running on .*no control socket.*\[DAEMON_NOT_RUNNING\]/);
  }
});

test('a daemon killed without stopping leaves its socket behind: still "not running", not an internal error', async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir });
  assert.equal(havend(['pool', 'status', '--data', dataDir]).code, EXIT.ok, 'the running daemon answers');
  await d.stop('SIGKILL');
  assert.ok(existsSync(join(dataDir, 'havend.sock')), 'the killed daemon left its socket');
  const r = havend(['pool', 'status', '--data', dataDir]);
  assert.equal(r.code, EXIT.daemonNotRunning, r.stderr);
  assert.match(r.stderr, /nothing listens on its control socket \(ECONNREFUSED\).*\[DAEMON_NOT_RUNNING\]/);
});

test('usage: no command, an unknown one, bad flags and an invalid configuration exit 2', (t) => {
  const dataDir = tempDir(t);
  assert.equal(havend([]).code, EXIT.usage);
  assert.equal(havend(['nonsense']).code, EXIT.usage);
  assert.equal(havend(['store', 'nonsense', '--data', dataDir]).code, EXIT.usage);
  assert.equal(havend(['disks', '--no-such-flag']).code, EXIT.usage);
  const config = havend(['info', '--data', dataDir], { HAVEND_NO_SUCH_SETTING: '1' });
  assert.equal(config.code, EXIT.usage);
  assert.match(config.stderr, /\[CONFIG_INVALID\]/);
  assert.equal(havend(['--help']).code, EXIT.ok);
});

test('other errors from the catalogue exit 1', (t) => {
  const r = havend(['token', 'revoke', 'no-such-token', '--data', tempDir(t)]);
  assert.equal(r.code, EXIT.failure);
  assert.match(r.stderr, /^havend token: .*\[TOKEN_NOT_FOUND\]\n$/);
});
