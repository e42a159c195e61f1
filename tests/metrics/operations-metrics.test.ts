import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { taskFamilies } from '../../daemon/src/metrics/operations-metrics.js';

function task(id: string, kind: string, status: TaskInfo['status'], ended: string | null): TaskInfo {
  return {
    id, kind, subject: null, title: kind, status, progress: null, progressMessage: null,
    started: '2026-01-01T00:00:00.000Z', ended, result: null, log: [], logDropped: 0,
  };
}

test('job metrics report the newest finished task of each kind and the running count', () => {
  // newest first, as the task registry lists them
  const families = taskFamilies([
    task('5', 'smart.selftest', 'running', null),
    task('4', 'smart.selftest', 'failed', '2026-01-04T00:00:00.000Z'),
    task('3', 'scrub', 'succeeded', '2026-01-03T00:00:00.000Z'),
    task('2', 'smart.selftest', 'succeeded', '2026-01-02T00:00:00.000Z'),
  ]);
  const byName = new Map(families.map((f) => [f.name, f.samples]));
  assert.deepEqual(byName.get('haven_tasks_running'), [{ value: 1 }]);
  assert.deepEqual(byName.get('haven_task_last_success'), [
    { labels: { kind: 'smart.selftest', status: 'failed' }, value: 0 },
    { labels: { kind: 'scrub', status: 'succeeded' }, value: 1 },
  ]);
  assert.deepEqual(byName.get('haven_task_last_end_timestamp_seconds')?.map((s) => s.value), [Date.parse('2026-01-04') / 1000, Date.parse('2026-01-03') / 1000]);
});
