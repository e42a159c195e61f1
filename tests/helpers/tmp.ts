import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * rmSync, or rm -rf for a tree too deep for it: Node 20's recursive rmSync overflowed the
 * stack on 2,031 nested directories (what a restore of a hostile, deeply nested snapshot left).
 */
function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2, retryDelay: 50 });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    execFileSync('rm', ['-rf', '--', dir]);
  }
}

/** Directories a process was still writing into when their test ended: removed at exit. */
const leftovers = new Set<string>();
process.on('exit', () => {
  for (const dir of leftovers) {
    try {
      removeTree(dir);
    } catch (err) {
      process.stderr.write(`could not remove ${dir}: ${(err as Error).message}\n`);
    }
  }
});

/**
 * A temporary directory (below `parent`, the OS's temporary directory unless a test needs
 * a particular filesystem) removed when the test ends, pass or fail. Hooks run in the order
 * they were added, so a daemon or browser started after the directory is still running when
 * this removal runs, and may create a file in it meanwhile (ENOTEMPTY): such a directory is
 * removed when the test process exits instead, after every later hook stopped its writer.
 */
export function tempDir(t: TestContext, prefix = 'haven-test-', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  t.after(() => {
    try {
      removeTree(dir);
    } catch {
      leftovers.add(dir);
    }
  });
  return dir;
}
