// haven backup --watch PATH... [--debounce SECONDS] [--rescan SECONDS]: continuous protection. Watches the
// sources with inotify (client/src/watch/tree-watcher.ts) and takes an incremental snapshot
// through the files cache once changes settle (client/src/watch/watch-loop.ts), until
// SIGTERM or SIGINT; the running snapshot is finished first, a second signal abandons it.
// Prints one line per event (one JSON document per line with --json).

import { UsageError } from '../../../../core/src/cli/args.js';
import { HavenError } from '../../../../core/src/errors.js';
import { loadAddon } from '../../../../core/src/native/addon.js';
import type { BackupOutcome, BackupRun } from '../../backup/backup-run.js';
import { TreeWatcher, type WatchScope } from '../../watch/tree-watcher.js';
import { WatchLoop, type WatchTiming } from '../../watch/watch-loop.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printable } from '../printable.js';

const DEFAULT_DEBOUNCE_SECONDS = 2;

const DEFAULT_RESCAN_SECONDS = 300;

function secondsArg(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  const seconds = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) throw new UsageError(`${flag} takes seconds from ${min} to ${max}`);
  return seconds;
}

/** Timing from --debounce and --rescan; the rest follows from them (docs/ARCHITECTURE.md, "Continuous protection"). */
export function timingFor(debounce: string | undefined, rescan: string | undefined): WatchTiming {
  const debounceMs = Math.round(secondsArg('--debounce', debounce, DEFAULT_DEBOUNCE_SECONDS, 0.1, 3600) * 1000);
  const rescanMs = Math.round(secondsArg('--rescan', rescan, DEFAULT_RESCAN_SECONDS, 1, 86_400) * 1000);
  // Who asks for a short debounce wants a short RPO, also right after an outage: the retry
  // backoff is capped at 30 debounces (between 5 s and a minute).
  const retryMaxMs = Math.min(60_000, Math.max(5_000, 30 * debounceMs));
  return { debounceMs, maxDelayMs: Math.max(30_000, 10 * debounceMs), retryMs: 1000, retryMaxMs, rescanMs };
}

type Line = Record<string, unknown> & { event: string };

export async function watchBackups(
  ctx: CommandContext, paths: readonly string[], newRun: () => { run: BackupRun; close: () => void }, timing: WatchTiming,
  scope: WatchScope = {},
): Promise<number> {
  const load = loadAddon();
  if (!load.addon) throw new HavenError('WATCH_UNAVAILABLE', { path: paths.join(' '), detail: `the native addon is not loaded (${load.reason})` });
  const addon = load.addon;
  const emit = (line: Line, human: string): void => {
    process.stdout.write(ctx.out.json ? `${JSON.stringify(line)}\n` : `${printable(`watch: ${human}`)}\n`);
  };

  const loop: WatchLoop<BackupOutcome> = new WatchLoop<BackupOutcome>(timing, {
    settled: () => watcher.idle(),
    incomplete: () => watcher.incomplete,
    snapshot: async () => {
      const { run, close } = newRun();
      try {
        return await run.run();
      } finally {
        close();
        void watcher.rewatchRoots();
      }
    },
    started: (firstChange) => emit({ event: 'started', firstChange, at: Date.now() }, 'snapshot started'),
    saved: (o, firstChange, startedAt) => {
      const s = o.snapshot;
      const delayMs = Date.now() - firstChange;
      emit(
        { event: 'snapshot', snapshot: { id: s.id, root: s.root, stats: s.stats }, warnings: o.warnings, firstChange, startedAt, delayMs },
        `snapshot ${s.id.slice(0, 12)} saved: ${s.stats.filesRead ?? 0} files read, ${s.stats.filesCached ?? 0} unchanged; `
          + `${(delayMs / 1000).toFixed(1)} s after the oldest change it holds${o.warnings.length > 0 ? `; ${o.warnings.length} warning(s): ${o.warnings[0]}` : ''}`,
      );
    },
    failed: (err, retryInMs) => {
      const code = err instanceof HavenError ? err.code : 'INTERNAL';
      const message = (err as Error).message ?? String(err);
      emit({ event: 'retry', error: { code, message }, retryInMs }, `snapshot failed (${message} [${code}]); retrying in ${(retryInMs / 1000).toFixed(0)} s`);
    },
  });
  const watcher: TreeWatcher = new TreeWatcher(paths, addon, {
    changed: () => loop.changed(),
    notice: (message) => emit({ event: 'notice', message }, message),
  }, scope);

  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await watcher.start();
  emit({ event: 'watching', paths, watches: watcher.watchCount, debounceMs: timing.debounceMs }, `watching ${watcher.watchCount} directories under ${paths.join(' ')}`);
  // The first snapshot brings the appliance up to date with whatever changed while nobody watched.
  loop.changed();

  let failure: unknown = null;
  const signal = await Promise.race([signalled, loop.failure.then(() => null, (err: unknown) => ((failure = err), null))]);
  watcher.close();
  if (signal) {
    emit({ event: 'stopping', signal }, `${signal}: finishing the running snapshot, if any (a second signal abandons it)`);
    const abandon = (): void => {
      emit({ event: 'abandoned' }, 'abandoned the running snapshot; the appliance drops its session when it expires');
      process.exit(EXIT.failure);
    };
    process.once('SIGTERM', abandon);
    process.once('SIGINT', abandon);
  }
  const { pendingSince } = await loop.stop();
  emit(
    { event: 'stopped', pendingSince },
    pendingSince === null ? 'stopped; every change seen is in a snapshot' : `stopped; changes since ${new Date(pendingSince).toISOString()} are in no snapshot yet`,
  );
  if (failure) throw failure;
  return EXIT.ok;
}
