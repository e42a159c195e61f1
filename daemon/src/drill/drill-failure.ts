// What made a drill fail, in one line: the alert's message, the task's result, the CLI's line.

import type { DrillRun } from '../../../core/src/api/drills.js';

export function failureOf(run: DrillRun): string {
  if (run.error !== null) return run.error;
  const damaged = run.snapshots.flatMap((s) => s.damagedPaths.map((p) => `${p} (snapshot ${s.id.slice(0, 12)})`));
  if (damaged.length > 0) return `damaged on the appliance: ${damaged.slice(0, 10).join(', ')}`;
  const other = run.snapshots.flatMap((s) => [...(s.clientError ? [s.clientError] : []), ...s.mismatches]);
  return other.slice(0, 5).join('; ') || 'nothing was restored';
}
