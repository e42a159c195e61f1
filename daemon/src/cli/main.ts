// havend's entry point: one process, one subcommand.

import { HavenError } from '../../../core/src/errors.js';
import { VERSION } from '../../../core/src/version.js';
import { UsageError } from '../../../core/src/cli/args.js';
import { disksCommand } from './disks.js';
import { infoCommand } from './info.js';
import { poolCommand } from './pool.js';
import { swapCommand } from './swap.js';
import { serveCommand } from './serve.js';
import { smartCommand } from './smart.js';
import { storeCommand } from './store.js';
import { setupCommand } from './setup.js';
import { tokenCommand } from './token.js';

const USAGE = `havend ${VERSION} - the Haven backup appliance daemon

usage:
  havend serve [--config FILE] [--data DIR] [--listen HOST:PORT]
  havend setup --data DIR [--user NAME]      (password on standard input)
  havend token create --data DIR --scope admin|replicate|metrics|backup:GROUP [--name NAME]
  havend token list --data DIR [--json]
  havend token revoke ID --data DIR
  havend store check --data DIR [--json]
  havend store rebuild-index --data DIR [--json]
  havend disks [--data DIR] [--json]
  havend pool status [--data DIR] [--json]
  havend pool create --profile raid1|raid1c3|raid10 --disk DISK=CODE... [--name NAME] [--data DIR] [--json]
  havend pool scrub [--wait] [--data DIR] [--json]
  havend pool add DISK=CODE [--data DIR] [--json]
  havend pool remove DEVID [--wait] [--data DIR] [--json]
  havend swap start --disk DISK | --devid N [--data DIR] [--json]
  havend swap status [ID] [--data DIR] [--json]
  havend swap confirm CODE [ID] [--disk DISK] [--data DIR] [--json]
  havend swap cancel|retry [ID] [--data DIR] [--json]
  havend smart parse FILE [--json]
  havend info [--config FILE] [--data DIR] [--listen HOST:PORT] [--wait SECONDS] [--json]
  havend version
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  serve: serveCommand,
  token: tokenCommand,
  setup: setupCommand,
  store: storeCommand,
  disks: disksCommand,
  pool: poolCommand,
  swap: swapCommand,
  smart: smartCommand,
  info: infoCommand,
  version: async () => {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`havend: unknown command ${name}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`havend ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof HavenError) {
      process.stderr.write(`havend ${name}: ${err.message} [${err.code}]\n`);
      return err.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    process.stderr.write(`havend ${name}: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
