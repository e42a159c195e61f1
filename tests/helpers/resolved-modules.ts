// Records every module a child process (and its worker threads) resolves: a module hook passed
// with NODE_OPTIONS appends each resolved URL to a log file. The startup-imports tests use it to
// check what a command does not load.

import type { TestContext } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './tmp.js';

const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`;

export interface ModuleLog {
  /** Environment for the child process: NODE_OPTIONS that installs the hook. */
  env: NodeJS.ProcessEnv;
  /** Every module URL resolved so far, then forgets them (the next call sees only newer ones). */
  take(): Set<string>;
}

export function moduleLog(t: TestContext): ModuleLog {
  const dir = tempDir(t, 'haven-hooks-');
  const log = join(dir, 'resolved.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });\n`,
  );
  return {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}` },
    take: () => {
      const seen = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
      writeFileSync(log, '');
      return seen;
    },
  };
}

/** The modules of `seen` that belong to one of these npm packages. */
export function modulesOfPackages(seen: Set<string>, packages: string[]): string[] {
  return [...seen].filter((u) => packages.some((p) => u.includes(`/node_modules/${p}/`)));
}
