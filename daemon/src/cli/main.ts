// havend's entry point: one process, one subcommand. Errors from the catalogue become a
// one-line message and the exit code of exit-codes.ts.

import { runCli } from '../../../core/src/cli/run-cli.js';
import { VERSION } from '../../../core/src/version.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const USAGE = `havend ${VERSION} - the Haven backup appliance daemon

usage:
  havend serve [--config FILE] [--data DIR] [--listen HOST:PORT]
  havend setup --data DIR [--user NAME]      (password on standard input)
  havend token create --data DIR --scope admin|replicate|replicate:GROUP|metrics|backup:GROUP [--name NAME]
  havend token list --data DIR [--json]
  havend token revoke ID --data DIR
  havend store check --data DIR [--json]
  havend store rebuild-index --data DIR [--json]
  havend store repair --from-peer NAME [--data DIR] [--config FILE] [--json]
  havend snapshot protect|unprotect|delete ID [--data DIR] [--config FILE] [--json]
  havend retention set GROUP [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N]
                   [--keep-yearly N] [--keep-within DURATION] [--data DIR] [--config FILE] [--json]
  havend retention show [GROUP] | clear GROUP [--data DIR] [--config FILE] [--json]
  havend prune [--group G] [--keep-* N|DURATION] [--dry-run] [--data DIR] [--config FILE] [--json]
  havend plan add GROUP --rpo DURATION [--rto DURATION] [--schedule CRON] [--grace DURATION] [--owner TEXT]
                [--offsite PEER] [--mode active|paused|retired] [--drill-schedule CRON|never] [--link-rate MB_PER_S]
                [--data DIR] [--config FILE] [--json]
  havend plan list | enroll GROUP | remove GROUP [--data DIR] [--config FILE] [--json]
  havend notify add NAME (--webhook URL [--secret-file FILE] | --smtp HOST:PORT --from ADDR --to ADDR...)
                [--min-severity info|warning|critical] [--kind KIND]... [--group G]... [--data DIR] [--config FILE]
  havend notify list | remove NAME | test NAME [--data DIR] [--config FILE] [--json]
  havend gc [--wait] [--data DIR] [--config FILE] [--json]
  havend verify [--group G] [--wait] [--data DIR] [--config FILE] [--json]
  havend drill GROUP [--wait] [--data DIR] [--config FILE] [--json]
  havend report [--group G] [--since DATE|DURATION] [--until DATE] [--format text|json|csv] [--data DIR] [--config FILE]
  havend peer add NAME --url URL --token-file FILE [--fingerprint FP] [--groups G,...] [--group-prefix P]
                  [--schedule CRON] [--lag-alert DURATION] [--rate-limit MB_PER_S] [--window "Mon-Fri 19:00-07:00"]...
                  [--propagate-deletes-after DURATION] [--delete-brake PERCENT] [--repair-only]
                  [--data DIR] [--config FILE] [--json]
  havend peer edit NAME [--lag-alert D] [--schedule CRON|follow] [--groups G,...|all]
                  [--rate-limit MB_PER_S|none] [--window W]... [--no-windows]
                  [--propagate-deletes-after D|never] [--delete-brake PERCENT] [--data DIR] [--config FILE] [--json]
  havend peer resume-deletes NAME [--drop-pending] [--data DIR] [--config FILE] [--json]
  havend peer pause NAME | resume NAME [--data DIR] [--config FILE] [--json]
  havend peer list [--json] | status NAME [--json] | remove NAME [--data DIR] [--config FILE]
  havend replicate NAME [--wait] [--data DIR] [--config FILE] [--json]
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

// Each command's module is loaded only when it runs (as in haven): `serve` brings Fastify,
// LMDB and the worker pool, which `havend version` or `havend disks` have no use for.
const commands: Record<string, Command> = {
  serve: async (argv) => (await import('./serve.js')).serveCommand(argv),
  token: async (argv) => (await import('./token.js')).tokenCommand(argv),
  setup: async (argv) => (await import('./setup.js')).setupCommand(argv),
  store: async (argv) => (await import('./store.js')).storeCommand(argv),
  snapshot: async (argv) => (await import('./snapshot.js')).snapshotCommand(argv),
  retention: async (argv) => (await import('./retention.js')).retentionCommand(argv),
  prune: async (argv) => (await import('./retention.js')).pruneCommand(argv),
  plan: async (argv) => (await import('./plan.js')).planCommand(argv),
  notify: async (argv) => (await import('./notify.js')).notifyCommand(argv),
  gc: async (argv) => (await import('./gc.js')).gcCommand(argv),
  verify: async (argv) => (await import('./verify.js')).verifyCommand(argv),
  drill: async (argv) => (await import('./drill.js')).drillCommand(argv),
  report: async (argv) => (await import('./report.js')).reportCommand(argv),
  peer: async (argv) => (await import('./peer.js')).peerCommand(argv),
  replicate: async (argv) => (await import('./peer.js')).replicateCommand(argv),
  disks: async (argv) => (await import('./disks.js')).disksCommand(argv),
  pool: async (argv) => (await import('./pool.js')).poolCommand(argv),
  swap: async (argv) => (await import('./swap.js')).swapCommand(argv),
  smart: async (argv) => (await import('./smart.js')).smartCommand(argv),
  info: async (argv) => (await import('./info.js')).infoCommand(argv),
  version: async () => {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  },
};

export function main(argv: string[]): Promise<number> {
  return runCli({ program: 'havend', usage: USAGE, commands, context: (rest) => rest, exit: EXIT, exitCodeFor }, argv);
}
