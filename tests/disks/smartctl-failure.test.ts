// A disk whose smartctl run fails or times out shows "no SMART data: <reason>": never a
// crash, never `passed`. Real processes through the real exec seam: the real smartctl on a
// device that does not exist, and stand-ins that hang, print garbage or are missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { EventBus } from '../../daemon/src/events.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { Scheduler } from '../../daemon/src/jobs/scheduler.js';
import { Inventory } from '../../daemon/src/disks/inventory.js';
import { SmartHistory } from '../../daemon/src/disks/smart/history.js';
import { SmartService } from '../../daemon/src/disks/smart/smart-service.js';
import { SmartctlSource } from '../../daemon/src/disks/smart/smart-source.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import type { DiskFacts } from '../../daemon/src/disks/discovery.js';
import { hasCommand, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const FACTS: DiskFacts = {
  identity: { kind: 'serial', value: 'TEST MODEL\u0000TESTSERIAL1' }, name: 'sdz', devicePath: '/dev/haven-no-such-disk',
  byPath: '/sys/devices/test', sizeBytes: 1e12, rotational: true, transport: 'sata', wwn: null, serial: 'TESTSERIAL1',
  model: 'TEST MODEL', vendor: null, firmware: null, backingFile: null, fsType: null, partitions: [], mountpoints: [],
};

async function verdictWith(t: import('node:test').TestContext, command: string, timeoutMs = 5000): Promise<{ verdict: string; message: string; alerts: number }> {
  const dir = tempDir(t);
  const state = openStateDb(dir);
  t.after(() => state.close());
  const log = pino({ level: 'silent' });
  const bus = new EventBus((err) => assert.fail(String(err)));
  const inventory = new Inventory(state, bus, dir);
  await inventory.reconcile([FACTS]);
  const [disk] = inventory.list();
  const alerts = new AlertCenter(state, bus);
  const scheduler = new Scheduler(log);
  t.after(() => scheduler.stop());
  const source = new SmartctlSource(new SystemCommandRunner(), timeoutMs, command);
  const smart = new SmartService({ state, inventory, source, history: new SmartHistory(state), alerts, bus, scheduler }, { pollMs: 60_000 });
  const report = await smart.poll(disk?.id ?? '');
  assert.ok(report);
  const health = inventory.get(disk?.id ?? '').health;
  assert.equal(health.verdict, report.verdict);
  return { verdict: health.verdict, message: health.reasons.map((r) => r.message).join(' | '), alerts: alerts.list().length };
}

test('smartctl that times out: no SMART data, the reason says so', async (t) => {
  const hang = script(tempDir(t), 'smartctl', 'exec sleep 30');
  const started = Date.now();
  const r = await verdictWith(t, hang, 1000);
  assert.ok(Date.now() - started < 5000, 'killed at its timeout');
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.message, 'no SMART data: smartctl timed out after 1 s');
  assert.equal(r.alerts, 0);
});

test('smartctl that fails: the real smartctl on a device that does not exist', async (t) => {
  if (!need(t, hasCommand('smartctl'), 'smartctl (smartmontools) is missing')) return;
  const r = await verdictWith(t, 'smartctl');
  assert.equal(r.verdict, 'unknown');
  assert.match(r.message, /^no SMART data: .*\/dev\/haven-no-such-disk.*(No such file|failed)/);
});

test('smartctl that prints garbage, exits oddly, or is missing', async (t) => {
  const dir = tempDir(t);
  const garbage = await verdictWith(t, script(dir, 'garbage', 'echo "Segmentation fault"; exit 0'));
  assert.equal(garbage.verdict, 'unknown');
  assert.match(garbage.message, /^no SMART data: smartctl gave no usable JSON/);
  const killed = await verdictWith(t, script(dir, 'killed', 'kill -9 $$'));
  assert.match(killed.message, /^no SMART data: smartctl was killed \(SIGKILL\)/);
  const missing = await verdictWith(t, join(dir, 'not-installed'));
  assert.match(missing.message, /^no SMART data: smartctl could not run: .*ENOENT/);
});
