// Self-tests as tasks: started with `smartctl -t`, watched through the drive's log until the
// result appears, recorded as the task's result. No drive here can run a self-test, so a
// stand-in smartctl (a shell script) plays back edits of a real capture: before the test,
// while it runs (status 241, "in progress"), and after it (a new log entry).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { EventBus } from '../../daemon/src/events.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { Scheduler } from '../../daemon/src/jobs/scheduler.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { Inventory } from '../../daemon/src/disks/inventory.js';
import { SelfTests } from '../../daemon/src/disks/smart/self-tests.js';
import { SmartctlSource } from '../../daemon/src/disks/smart/smart-source.js';
import type { DiskFacts } from '../../daemon/src/disks/discovery.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

const CAPTURE = readFileSync(fileURLToPath(new URL('../../../../shared/fixtures/smart/ata-hdd-wd140edfz-healthy.json', import.meta.url)), 'utf8');
const RUNNING = /"value": 241,\s*"string": "in progress, 10% remaining",\s*"remaining_percent": 10/;

function facts(serial: string, name: string): DiskFacts {
  return {
    identity: { kind: 'serial', value: `WDC\u0000${serial}` }, name, devicePath: `/dev/${name}`, byPath: `/sys/devices/${name}`,
    sizeBytes: 14e12, rotational: true, transport: 'sata', wwn: null, serial, model: 'WDC', vendor: null, firmware: null,
    backingFile: null, fsType: null, partitions: [], mountpoints: [],
  };
}

test('a short self-test runs as a task: progress while it runs, the result at the end', async (t) => {
  const dir = tempDir(t);
  assert.match(CAPTURE, RUNNING);
  const idle = CAPTURE.replace(RUNNING, '"value": 0, "string": "completed without error"');
  const running = CAPTURE.replace(RUNNING, '"value": 244, "string": "in progress, 40% remaining", "remaining_percent": 40');
  const newEntry = '{"type": {"value": 1, "string": "Short offline"}, "status": {"value": 0, "string": "Completed without error", "passed": true}, "lifetime_hours": 1731},';
  const done = idle.replace(/("ata_smart_self_test_log": \{\s*"standard": \{\s*"revision": 1,\s*"table": \[)/, `$1${newEntry}`);
  writeFileSync(join(dir, '0.json'), idle);
  writeFileSync(join(dir, '1.json'), running);
  writeFileSync(join(dir, '2.json'), done);
  writeFileSync(join(dir, 'start.json'), '{"smartctl": {"exit_status": 0}, "ata_smart_data": {"self_test": {"polling_minutes": {"short": 2, "extended": 1479}}}}');
  // -t: note that a test started; -x: the next stage of the capture (stays at the last).
  const script = join(dir, 'smartctl');
  writeFileSync(script, `#!/bin/sh
D=${dir}
echo "$@" >> $D/calls
case " $* " in *" -t "*) echo 1 > $D/stage; cat $D/start.json; exit 0;; esac
S=$(cat $D/stage 2>/dev/null || echo 0)
cat $D/$S.json
[ "$S" -gt 0 ] && [ "$S" -lt 2 ] && echo $((S + 1)) > $D/stage
exit 0
`);
  chmodSync(script, 0o755);

  const state = openStateDb(join(dir, 'state'));
  t.after(() => state.close());
  const log = pino({ level: 'silent' });
  const bus = new EventBus((err) => assert.fail(String(err)));
  const inventory = new Inventory(state, bus, dir);
  await inventory.reconcile([facts('SERIAL-A', 'sdx'), facts('SERIAL-B', 'sdy')]);
  const tasks = new TaskRegistry(state, bus, { progressIntervalMs: 0 });
  const scheduler = new Scheduler(log);
  t.after(() => scheduler.stop());
  const source = new SmartctlSource(new SystemCommandRunner(), 5000, script);
  const selfTests = new SelfTests(inventory, source, tasks, scheduler, { shortCron: '', longCron: '', staggerMs: 300, checkEveryMs: 50 });
  const disk = inventory.list().find((d) => d.serial === 'SERIAL-A');
  assert.ok(disk);

  const progress: Array<number | null> = [];
  bus.on({}, 'task.progress', (p) => progress.push(p.progress));
  const started = selfTests.run(disk.id, 'short');
  assert.equal(started.kind, 'smart.selftest');
  assert.equal(started.subject, disk.id);
  assert.throws(() => selfTests.run(disk.id, 'short'), /already running/);
  const ended = await new Promise<import('../../core/src/api/jobs.js').TaskInfo>((resolve) => bus.on({}, 'task.ended', resolve));
  assert.equal(ended.status, 'succeeded', ended.result ?? '');
  assert.equal(ended.result, 'passed: Short offline, Completed without error');
  assert.ok(progress.some((p) => p !== null && Math.abs(p - 0.6) < 1e-9), `progress seen: ${progress.join(',')}`);
  assert.match(ended.log[0]?.message ?? '', /estimates 2 minutes/);
  const calls = readFileSync(join(dir, 'calls'), 'utf8');
  assert.match(calls, /--json -t short \/dev\/sdx/);

  // Scheduled runs start one disk after another, `staggerMs` apart; replayed and loop disks are skipped.
  const t0 = Date.now();
  const starts: number[] = [];
  bus.on({}, 'task.started', () => starts.push(Date.now() - t0));
  await selfTests.runAll('short', new AbortController().signal);
  assert.equal(starts.length, 2);
  assert.ok((starts[1] ?? 0) - (starts[0] ?? 0) >= 280, `staggered: ${starts.join(', ')} ms`);
  await tasks.stop();
});
