// haven backup PATH... [--group G] [--tag T] [--exclude P] [--exclude-file F] [--exclude-caches] [--one-file-system] [--stdin --name NAME]
// [--profile NAME] [--watch [--debounce S] [--rescan S]]

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { isValidGroup } from '../../../../core/src/api/wire-constants.js';
import { BackupRun, checkSources, type BackupRequest } from '../../backup/backup-run.js';
import { patternsOf } from '../../backup/excludes.js';
import { pathMatcher } from '../../../../core/src/text/path-glob.js';
import { createPosixOps } from '../../fs/posix-ops.js';
import { addonOrFallback } from '../../../../core/src/native/addon.js';
import { cacheDir, readProfile, type Profile } from '../client-config.js';
import { JSON_FLAG, connect, workerCount, type CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes } from '../output.js';
import { growHeapsModestly } from '../../workers/garbage.js';

/** zstd level for uploads: 4 keeps the store below restic's for ~5% more client CPU than 3 (docs/PERFORMANCE.md). */
const DEFAULT_ZSTD_LEVEL = 4;

/** The patterns of an --exclude-file: a file that cannot be read is a usage error, not an empty list. */
function readExcludeFile(path: string): string[] {
  try {
    return patternsOf(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--exclude-file ${path}: ${(err as Error).message}`);
  }
}

function defaultGroup(): string {
  const h = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return isValidGroup(h) ? h : 'default';
}

export async function backupCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, {
    ...JSON_FLAG,
    group: { type: 'string' },
    tag: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    'exclude-file': { type: 'string', multiple: true },
    'exclude-caches': { type: 'boolean', default: false },
    'one-file-system': { type: 'boolean', short: 'x', default: false },
    stdin: { type: 'boolean', default: false },
    name: { type: 'string' },
    profile: { type: 'string' },
    host: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    watch: { type: 'boolean', default: false },
    debounce: { type: 'string' },
    rescan: { type: 'string' },
  }, true);
  const profile: Profile | null = values.profile ? readProfile(values.profile, ctx.env) : null;
  const paths = [...(profile?.paths ?? []), ...positionals];
  if (values.stdin !== (values.name !== undefined)) throw new UsageError('--stdin and --name NAME go together');
  if (values.name !== undefined && !/^[^/\0]+$/.test(values.name)) throw new UsageError('--name must be a file name without /');
  if (paths.length === 0 && !values.stdin) throw new UsageError('usage: haven backup PATH... [--group G] (or --profile NAME, or --stdin --name NAME)');
  const group = values.group ?? profile?.group ?? defaultGroup();
  if (!isValidGroup(group)) throw new UsageError(`invalid group ${group}: 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit`);
  checkSources(paths);
  growHeapsModestly();

  const level = Number(ctx.env.HAVEN_ZSTD_LEVEL ?? DEFAULT_ZSTD_LEVEL);
  const excludeFiles = [...(profile?.excludeFiles ?? []), ...(values['exclude-file'] ?? [])];
  const req: BackupRequest = {
    group, paths, tags: [...(profile?.tags ?? []), ...(values.tag ?? [])],
    excludes: [...(profile?.excludes ?? []), ...excludeFiles.flatMap(readExcludeFile), ...(values.exclude ?? [])],
    excludeCaches: values['exclude-caches'] || profile?.excludeCaches === true,
    host: values.host ?? hostname(), ...(values.name !== undefined ? { stdinName: values.name } : {}),
    oneFileSystem: values['one-file-system'] || profile?.oneFileSystem === true,
  };
  // One run per snapshot, each with its own connection (a watcher outlives appliance restarts).
  const newRun = (): { run: BackupRun; close: () => void } => {
    const { api, connection } = connect(ctx, profile);
    const run = new BackupRun(req, {
      api, connection, cacheDir: values['no-cache'] ? null : cacheDir(ctx.env), workers: workerCount(ctx.env),
      zstdLevel: Number.isInteger(level) && level >= -7 && level <= 19 ? level : DEFAULT_ZSTD_LEVEL,
      posix: createPosixOps(), addon: addonOrFallback(), ...(values.stdin ? { stdin: ctx.stdin() } : {}),
    });
    return { run, close: () => api.close() };
  };
  if (values.watch) {
    if (values.stdin) throw new UsageError('--watch watches paths, not standard input');
    const watch = await import('./backup-watch.js');
    // what the walk leaves out does not wake the watcher
    const scope = { oneFileSystem: req.oneFileSystem === true, excludeCaches: req.excludeCaches === true, exclude: pathMatcher(req.excludes) };
    return watch.watchBackups(ctx, paths, newRun, watch.timingFor(values.debounce, values.rescan), scope);
  }
  if (values.debounce !== undefined || values.rescan !== undefined) throw new UsageError('--debounce and --rescan go with --watch');
  const { run, close } = newRun();
  const started = Date.now();
  const stop = ctx.out.progress(() => {
    const p = run.progress;
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    return `backup: ${p.files} files, ${p.dirs} dirs, ${formatBytes(p.bytesRead)} read (${formatBytes(p.bytesRead / secs)}/s), ${p.filesCached} unchanged`;
  });
  let outcome;
  try {
    outcome = await run.run();
  } finally {
    stop();
    close();
  }
  const s = outcome.snapshot;
  const st = outcome.session.stats;
  ctx.out.result({ snapshot: s, session: outcome.session, warnings: outcome.warnings, healed: outcome.healed }, () => [
    ...outcome.warnings.map((w) => `warning: ${w}`),
    ...(outcome.healed.length > 0
      ? [`note: the appliance had found ${outcome.healed.length} object(s) of earlier backups damaged; every file was read again and they were uploaded anew`]
      : []),
    `snapshot ${s.id.slice(0, 12)} saved (group ${s.group})`,
    `  ${s.stats.files ?? 0} files, ${s.stats.dirs ?? 0} dirs, ${formatBytes(s.stats.bytes ?? 0)}; ${s.stats.filesRead ?? 0} files read, ${s.stats.filesCached ?? 0} unchanged`
      + ((s.stats.bytesHoles ?? 0) > 0 ? `; ${formatBytes(s.stats.bytesHoles ?? 0)} of holes known without reading` : ''),
    `  uploaded ${st.objectsNew} new objects (${formatBytes(st.bytesNew)} stored, ${formatBytes(st.rawBytesNew)} raw) in ${((s.stats.durationMs ?? 0) / 1000).toFixed(1)} s`,
  ]);
  return outcome.warnings.length > 0 ? EXIT.warnings : EXIT.ok;
}
