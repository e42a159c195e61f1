// What `haven` and `havend` do the same way around their commands: help and unknown
// commands, one command per process, and every failure turned into one line on stderr and an
// exit code. Each CLI keeps its own command table and its own exit-code table (the codes are
// documented per program in README.md, and scripts depend on them).

import { HavenError, type ErrorCode } from '../errors.js';
import { UsageError } from './args.js';

/** The codes every CLI has; a program's table adds its own above them. */
export interface BaseExitCodes {
  readonly ok: 0;
  /** Anything not mapped elsewhere, including internal errors. */
  readonly failure: number;
  readonly usage: number;
}

/** A failure as reported: USAGE for bad arguments, INTERNAL for an unexpected exception. */
export interface CliFailure {
  readonly code: ErrorCode | 'USAGE';
  readonly message: string;
  readonly exit: number;
}

export interface CliSpec<Context> {
  /** The program's name, the first word of every message. */
  readonly program: string;
  readonly usage: string;
  /** Each command gets what `context` makes of the arguments after its name. */
  readonly commands: Readonly<Record<string, (context: Context) => Promise<number>>>;
  readonly context: (argv: string[]) => Context;
  readonly exit: BaseExitCodes;
  /** The exit code of an error from the catalogue. */
  readonly exitCodeFor: (code: ErrorCode) => number;
  /** Escapes a line of a message for the terminal (names can carry control characters). */
  readonly escape?: (line: string) => string;
  /** Called before the stderr line, e.g. to put the error into a --json document. */
  readonly onFailure?: (failure: CliFailure) => void;
}

export async function runCli<Context>(spec: CliSpec<Context>, argv: string[]): Promise<number> {
  const { program, usage, exit } = spec;
  const [name, ...rest] = argv;
  // Bare `program` is a usage error (scripts notice); asking for help is not.
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name === undefined ? exit.usage : exit.ok;
  }
  const command = Object.hasOwn(spec.commands, name) ? spec.commands[name] : undefined;
  if (!command) {
    process.stderr.write(`${program}: unknown command ${name}\n\n${usage}`);
    return exit.usage;
  }
  const escape = spec.escape ?? ((line: string) => line);
  const fail = (failure: CliFailure, text = escape(failure.message)): number => {
    spec.onFailure?.(failure);
    const tag = failure.code === 'USAGE' || failure.code === 'INTERNAL' ? '' : ` [${failure.code}]`;
    process.stderr.write(`${program} ${name}: ${text}${tag}\n`);
    return failure.exit;
  };
  try {
    return await command(spec.context(rest));
  } catch (err) {
    if (err instanceof UsageError) return fail({ code: 'USAGE', message: err.message, exit: exit.usage });
    if (err instanceof HavenError) return fail({ code: err.code, message: err.message, exit: spec.exitCodeFor(err.code) });
    const message = `internal error: ${(err as Error).stack ?? String(err)}`;
    // A stack trace keeps its line breaks; each of its lines is escaped.
    return fail({ code: 'INTERNAL', message, exit: exit.failure }, message.split('\n').map(escape).join('\n'));
  }
}
