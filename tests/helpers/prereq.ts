// Tests that need root, loop devices or Chromium skip with a visible reason when those are
// absent, except under CI=true, where a missing prerequisite fails the run (DESIGN section 10).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI === 'true';

/** Returns true when the test may proceed; otherwise skips it (or throws under CI). */
export function need(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (IN_CI) throw new Error(`prerequisite missing under CI=true: ${reason}`);
  t.skip(`skipped: ${reason}`);
  return false;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function needRoot(t: TestContext, what = 'root'): boolean {
  return need(t, isRoot() && existsSync('/dev/loop-control'), `${what} needs root and loop devices`);
}

/**
 * The command prefix under which the CLI meets file permissions as any user does: none for a
 * user; for root, setpriv dropping the capabilities that bypass them. Null (the test skipped,
 * or failed under CI) when root has no setpriv.
 */
export function unprivileged(t: TestContext): string[] | null {
  if (!isRoot()) return [];
  if (!need(t, hasCommand('setpriv'), 'setpriv (util-linux) to drop root\'s capabilities that bypass file permissions')) return null;
  return ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
}
