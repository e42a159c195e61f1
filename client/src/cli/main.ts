// The haven executable's entry point: one process, one subcommand. Errors from the
// catalogue become a one-line message and the exit code of exit-codes.ts.

import { HavenError } from '../../../core/src/errors.js';
import { UsageError } from '../../../core/src/cli/args.js';
import { VERSION } from '../../../core/src/version.js';
import type { CommandContext } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { createOutput, toJson } from './output.js';
import { printable } from './printable.js';

const USAGE = `haven ${VERSION} - the Haven backup client

usage:
  haven login URL --token T [--fingerprint F]
  haven backup PATH... [--group G] [--tag T]... [--exclude PATTERN]... [--host H] [--no-cache]
  haven backup --stdin --name NAME [--group G]
  haven backup --profile NAME
  haven snapshots [--group G]
  haven ls SNAPSHOT|latest [PATH] [--group G]
  haven restore SNAPSHOT|latest [--group G] --target DIR [--include PATH]... [--overwrite]
  haven diff SNAP1 SNAP2 [--group G]
  haven check SNAPSHOT|latest [--group G] [--read-data]
  haven version

Every command takes --json. Environment: HAVEN_SERVER, HAVEN_TOKEN, HAVEN_FINGERPRINT,
HAVEN_CACHE_DIR, HAVEN_CONFIG, HAVEN_WORKERS, HAVEN_ZSTD_LEVEL, HAVEN_TIMEOUT_SECONDS.
`;

type Command = (ctx: CommandContext) => Promise<number>;

// Each command's module is loaded only when it runs: start-up time is part of every backup.
const commands: Record<string, Command> = {
  login: async (ctx) => (await import('./commands/login.js')).loginCommand(ctx),
  backup: async (ctx) => (await import('./commands/backup.js')).backupCommand(ctx),
  snapshots: async (ctx) => (await import('./commands/snapshots.js')).snapshotsCommand(ctx),
  ls: async (ctx) => (await import('./commands/ls.js')).lsCommand(ctx),
  restore: async (ctx) => (await import('./commands/restore.js')).restoreCommand(ctx),
  diff: async (ctx) => (await import('./commands/diff.js')).diffCommand(ctx),
  check: async (ctx) => (await import('./commands/check.js')).checkCommand(ctx),
  version: async (ctx) => {
    ctx.out.result({ version: VERSION }, () => [VERSION]);
    return 0;
  },
};

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`haven: unknown command ${name}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const json = rest.includes('--json');
  const out = createOutput(json);
  const stdin = (): AsyncIterable<Uint8Array> => process.stdin;
  // Messages carry paths and the server's own words: printed escaped, kept exact in JSON.
  const fail = (code: string, message: string, exit: number, text = printable(message)): number => {
    if (json) process.stdout.write(`${toJson({ error: { code, message } })}\n`);
    process.stderr.write(`haven ${name}: ${text}${code === 'USAGE' || code === 'INTERNAL' ? '' : ` [${code}]`}\n`);
    return exit;
  };
  try {
    return await command({ argv: rest, env, out, stdin });
  } catch (err) {
    if (err instanceof UsageError) return fail('USAGE', err.message, EXIT.usage);
    if (err instanceof HavenError) return fail(err.code, err.message, exitCodeFor(err.code));
    const message = `internal error: ${(err as Error).stack ?? String(err)}`;
    // A stack trace keeps its line breaks; each of its lines is escaped.
    return fail('INTERNAL', message, EXIT.failure, message.split('\n').map(printable).join('\n'));
  }
}
