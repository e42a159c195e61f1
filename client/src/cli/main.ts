// The haven executable's entry point: one process, one subcommand. Errors from the
// catalogue become a one-line message and the exit code of exit-codes.ts.

import { runCli } from '../../../core/src/cli/run-cli.js';
import { VERSION } from '../../../core/src/version.js';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { createOutput, toJson } from './output.js';
import { printable } from './printable.js';

const USAGE = `haven ${VERSION} - the Haven backup client

usage:
  haven login URL --token T [--fingerprint F]
  haven backup PATH... [--group G] [--tag T]... [--exclude PATTERN]... [--exclude-file FILE]... [--exclude-caches]
               [--one-file-system] [--host H] [--no-cache]
  haven backup --stdin --name NAME [--group G]
  haven backup --profile NAME
  haven backup --watch PATH... [--debounce SECONDS] [--rescan SECONDS] (or --profile NAME): snapshots seconds after changes
  haven snapshots [--group G] [--last N]
  haven snapshots ID: one snapshot with the warnings its backup reported
  haven ls SNAPSHOT|latest [PATH] [--group G]
  haven find PATTERN... [--group G] [--last N]: the snapshots holding matching names or paths, newest first
  haven restore SNAPSHOT|latest [--group G] --target DIR [--include PATH]... [--overwrite]
  haven dump SNAPSHOT|latest PATH [--group G]: a file, or a directory as tar, on stdout (no --json)
  haven diff SNAP1 SNAP2 [--group G]
  haven check SNAPSHOT|latest [--group G] [--read-data]
  haven version

Every other command takes --json. Environment: HAVEN_SERVER, HAVEN_TOKEN, HAVEN_FINGERPRINT,
HAVEN_CACHE_DIR, HAVEN_CONFIG, HAVEN_WORKERS, HAVEN_ZSTD_LEVEL, HAVEN_TIMEOUT_SECONDS.
`;

type Command = (ctx: CommandContext) => Promise<number>;

// Each command's module is loaded only when it runs: start-up time is part of every backup.
const commands: Record<string, Command> = {
  login: async (ctx) => (await import('./commands/login.js')).loginCommand(ctx),
  backup: async (ctx) => (await import('./commands/backup.js')).backupCommand(ctx),
  snapshots: async (ctx) => (await import('./commands/snapshots.js')).snapshotsCommand(ctx),
  ls: async (ctx) => (await import('./commands/ls.js')).lsCommand(ctx),
  find: async (ctx) => (await import('./commands/find.js')).findCommand(ctx),
  restore: async (ctx) => (await import('./commands/restore.js')).restoreCommand(ctx),
  dump: async (ctx) => (await import('./commands/dump.js')).dumpCommand(ctx),
  diff: async (ctx) => (await import('./commands/diff.js')).diffCommand(ctx),
  check: async (ctx) => (await import('./commands/check.js')).checkCommand(ctx),
  version: async (ctx) => {
    ctx.out.result({ version: VERSION }, () => [VERSION]);
    return 0;
  },
};

export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = argv.slice(1).includes('--json');
  const out = createOutput(json);
  const stdin = (): AsyncIterable<Uint8Array> => process.stdin;
  return runCli(
    {
      program: 'haven',
      usage: USAGE,
      commands,
      context: (rest): CommandContext => ({ argv: rest, env, out, stdin }),
      exit: EXIT,
      exitCodeFor,
      // Messages carry paths and the server's own words: printed escaped, kept exact in JSON.
      escape: printable,
      onFailure: ({ code, message }) => {
        if (json) process.stdout.write(`${toJson({ error: { code, message } })}\n`);
      },
    },
    argv,
  );
}
