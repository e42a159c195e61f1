// `havend pool status|create|scrub|add|remove`: the running daemon's pool, through the
// root-only control socket. Disks are named by inventory id or device path; each disk to be
// wiped carries the last four characters of its serial (or, without one, of its disk id):
//   havend pool create --profile raid1 --disk /dev/sdb=1A2B --disk /dev/sdc=9F3C

import { realpathSync } from 'node:fs';
import type { DiskList } from '../../../core/src/api/disks.js';
import type { TaskInfo } from '../../../core/src/api/jobs.js';
import type { CreatePoolRequest, PoolProfile, PoolStatus } from '../../../core/src/api/pool.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';
import { size } from '../../../core/src/text/size.js';
import { localClientFor, waitForTask, type LocalClient } from './local-client.js';

const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

export function formatPool(p: PoolStatus): string {
  const lines = [
    `pool ${p.name} (${p.kind}${p.profile ? ` ${p.profile}` : ''}${p.uuid ? `, uuid ${p.uuid}` : ''})`,
    `  ${p.mounted ? `mounted at ${p.mountPath}${p.degradedMount ? ' (degraded)' : ''}` : 'NOT MOUNTED'}; datastore ${p.datastorePath}`,
    `  health: ${p.health.toUpperCase()} - ${p.summary}`,
  ];
  if (p.usage) lines.push(`  usage: ${size(p.usage.usedBytes)} used of ${size(p.usage.deviceBytes)} raw, ${size(p.usage.freeBytes)} free (x${p.usage.dataRatio} copies)`);
  for (const m of p.members) {
    const errs = Object.entries(m.errors).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'no errors';
    const what = [m.model, m.serial ? `serial ${m.serial}` : null, m.diskId ? `disk ${m.diskId}` : null].filter(Boolean).join(', ');
    lines.push(`  devid ${String(m.devid).padEnd(3)} ${(m.missing ? 'MISSING' : m.devicePath ?? '?').padEnd(14)} ${size(m.sizeBytes).padStart(8)}  ${errs}${what ? `  (${what})` : ''}${m.flags.length ? `  [${m.flags.join(', ')}]` : ''}`);
  }
  if (p.scrub && p.scrub.status !== 'never') {
    const c = p.scrub.counters;
    lines.push(`  last scrub: ${p.scrub.status}${p.scrub.started ? ` (started ${p.scrub.started})` : ''}: csum errors ${c.csumErrors}, read errors ${c.readErrors}, corrected ${c.correctedErrors}, uncorrectable ${c.uncorrectableErrors}`);
  }
  if (p.swap) lines.push(`  disk swap ${p.swap.id} in progress: step ${p.swap.step} (havend swap status)`);
  return lines.join('\n');
}

/** Resolves DISK (an inventory id or a device path) to a disk id. */
export async function resolveDisk(client: LocalClient, disk: string): Promise<string> {
  if (/^[0-9a-f]{16}$/.test(disk)) return disk;
  let real = disk;
  try {
    real = realpathSync(disk);
  } catch {
    // not a path on this machine: compared as given
  }
  const { disks } = await client.call<DiskList>('GET', '/api/v1/disks?archived=false');
  const found = disks.find((d) => d.devicePath === real || d.devicePath === disk);
  if (!found) throw new UsageError(`no present disk at ${disk} (see havend disks)`);
  return found.id;
}

async function confirmations(client: LocalClient, specs: string[]): Promise<Array<{ disk: string; confirm: string }>> {
  return Promise.all(specs.map(async (spec) => {
    const i = spec.lastIndexOf('=');
    if (i <= 0) throw new UsageError(`--disk ${spec}: write DISK=CODE, CODE being the last four characters of its serial`);
    return { disk: await resolveDisk(client, spec.slice(0, i)), confirm: spec.slice(i + 1) };
  }));
}

export async function poolCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const out = (json: boolean | undefined, value: unknown, text: string): void => {
    process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  };
  switch (sub) {
    case 'status': {
      const { values } = parse(rest, COMMON);
      const p = await localClientFor(values).call<PoolStatus>('GET', '/api/v1/pool');
      out(values.json, p, formatPool(p));
      return p.health === 'healthy' ? EXIT.ok : EXIT.failure;
    }
    case 'create': {
      const { values } = parse(rest, { ...COMMON, profile: { type: 'string' }, name: { type: 'string' }, disk: { type: 'string', multiple: true } });
      const client = localClientFor(values);
      const req: CreatePoolRequest = {
        profile: required(values.profile, '--profile') as PoolProfile,
        disks: await confirmations(client, values.disk ?? []),
        ...(values.name !== undefined ? { name: values.name } : {}),
      };
      const p = await client.call<PoolStatus>('POST', '/api/v1/pool', req);
      out(values.json, p, formatPool(p));
      return 0;
    }
    case 'scrub': {
      const { values } = parse(rest, { ...COMMON, wait: { type: 'boolean' } });
      const client = localClientFor(values);
      const task = await client.call<TaskInfo>('POST', '/api/v1/pool/scrub');
      if (!values.wait) {
        out(values.json, task, `scrub started: task ${task.id} (havend pool scrub --wait follows it)`);
        return 0;
      }
      const done = await waitForTask(client, task.id, !values.json);
      out(values.json, done, `scrub ${done.status}: ${done.result ?? ''}`);
      return done.status === 'succeeded' ? EXIT.ok : EXIT.failure;
    }
    case 'add': {
      const { values, positionals } = parse(rest, COMMON, true);
      const client = localClientFor(values);
      const [c] = await confirmations(client, positionals.slice(0, 1));
      if (!c) throw new UsageError('havend pool add DISK=CODE');
      const p = await client.call<PoolStatus>('POST', '/api/v1/pool/devices', c);
      out(values.json, p, formatPool(p));
      return 0;
    }
    case 'remove': {
      const { values, positionals } = parse(rest, { ...COMMON, wait: { type: 'boolean' } }, true);
      const devid = Number(positionals[0]);
      if (!Number.isInteger(devid) || devid < 1) throw new UsageError('havend pool remove DEVID');
      const client = localClientFor(values);
      const task = await client.call<TaskInfo>('DELETE', `/api/v1/pool/devices/${devid}`);
      const done = values.wait ? await waitForTask(client, task.id, !values.json) : task;
      out(values.json, done, `remove ${done.status}: ${done.result ?? `task ${done.id}`}`);
      return done.status === 'failed' ? EXIT.failure : EXIT.ok;
    }
    default:
      throw new UsageError(`havend pool status|create|scrub|add|remove (got ${sub ?? 'nothing'})`);
  }
}
