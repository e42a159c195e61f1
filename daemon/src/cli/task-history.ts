// The record of a job run whose task has ended, from its area's history (gc, verify): the
// history is written as the task ends, so it may appear a moment after the task says so.

import type { TaskInfo } from '../../../core/src/api/jobs.js';

/** How long a finished run may take to appear in its history after its task ended. */
const HISTORY_WAIT_MS = 5000;

export async function runFromHistory<R extends { task: string }>(history: () => Promise<readonly R[]>, task: TaskInfo, what: string): Promise<R> {
  const deadline = Date.now() + HISTORY_WAIT_MS;
  for (;;) {
    const found = (await history()).find((r) => r.task === task.id);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`task ${task.id} ended ${task.status} (${task.result ?? ''}) but its run is not in the ${what} history`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
