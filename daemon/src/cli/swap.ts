// `havend swap start|status|confirm|cancel|retry`: the guided disk swap from a shell, through
// the control socket. It is the same workflow the admin UI walks; each command prints the
// step, what to do now and what is allowed. ID defaults to the swap in progress.

import type { SwapDisk, SwapInfo, SwapList } from '../../../core/src/api/swap.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';
import { size } from '../../../core/src/text/size.js';
import { localClientFor, type LocalClient } from './local-client.js';
import { resolveDisk } from './pool.js';

const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

function disk(label: string, d: SwapDisk): string {
  const what = [d.model, d.serial ? `serial ${d.serial}` : null, d.diskId ? `disk ${d.diskId}` : null, d.devid !== null ? `devid ${d.devid}` : null].filter(Boolean).join(', ');
  return `  ${label}: ${what || 'unknown'} (${size(d.sizeBytes)}), ${d.present ? `at ${d.devicePath}` : 'not attached'}${d.slot ? `, slot ${d.slot}` : ''}`;
}

export function formatSwap(s: SwapInfo): string {
  const at = s.steps.findIndex((x) => x.step === s.step);
  const lines = [
    `disk swap ${s.id} (${s.path === 'present' ? 'failing disk still present' : 'disk already gone'}, reason ${s.reason}): step ${at + 1}/${s.steps.length} ${s.step} (${s.state})`,
    `  > ${s.instruction}`,
    disk('old', s.old),
  ];
  if (s.new) lines.push(disk('new', s.new));
  for (const c of s.candidates) lines.push(`${disk('candidate', c)}; holds ${c.contents.join(', ')}; confirm with the last four characters of its ${c.confirmWith}`);
  if (s.locate) lines.push(`  locate: ${s.locate.detail}`);
  if (s.progress) lines.push(`  progress: ${s.progress.fraction === null ? '' : `${(s.progress.fraction * 100).toFixed(1)}% `}${s.progress.message ?? ''}`);
  if (s.error) lines.push(`  error: ${s.error.message} [${s.error.code}]`);
  lines.push(`  steps: ${s.steps.map((x) => `${x.state === 'done' ? '[x]' : x.state === 'current' ? '[>]' : x.state === 'skipped' ? '[-]' : '[ ]'} ${x.step}`).join('  ')}`);
  lines.push(`  allowed now: ${s.allowed.length ? s.allowed.join(', ') : 'nothing (the appliance is working)'}`);
  return lines.join('\n');
}

async function currentId(client: LocalClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const { swaps } = await client.call<SwapList>('GET', '/api/v1/swaps');
  const active = swaps.find((s) => s.state !== 'finished');
  if (!active) throw new UsageError('no disk swap in progress (name one: havend swap status ID)');
  return active.id;
}

export async function swapCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const show = (json: boolean | undefined, s: SwapInfo): number => {
    process.stdout.write(json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSwap(s)}\n`);
    return s.state === 'failed' ? EXIT.failure : EXIT.ok;
  };
  switch (sub) {
    case 'start': {
      const { values } = parse(rest, { ...COMMON, disk: { type: 'string' }, devid: { type: 'string' } });
      const client = localClientFor(values);
      if ((values.disk === undefined) === (values.devid === undefined)) throw new UsageError('havend swap start --disk DISK | --devid N');
      const body = values.disk !== undefined ? { disk: await resolveDisk(client, values.disk) } : { devid: Number(values.devid) };
      return show(values.json, await client.call<SwapInfo>('POST', '/api/v1/swaps', body));
    }
    case 'status': {
      const { values, positionals } = parse(rest, COMMON, true);
      const client = localClientFor(values);
      if (positionals[0] === undefined) {
        const { swaps } = await client.call<SwapList>('GET', '/api/v1/swaps');
        const active = swaps.find((s) => s.state !== 'finished') ?? swaps[0];
        if (!active) {
          process.stdout.write(values.json ? 'null\n' : 'no disk swap yet\n');
          return 0;
        }
        return show(values.json, active);
      }
      return show(values.json, await client.call<SwapInfo>('GET', `/api/v1/swaps/${positionals[0]}`));
    }
    case 'confirm': {
      const { values, positionals } = parse(rest, { ...COMMON, disk: { type: 'string' } }, true);
      const [code, given] = positionals;
      if (!code) throw new UsageError('havend swap confirm CODE [ID] [--disk DISK]: CODE is the last four characters of the serial');
      const client = localClientFor(values);
      const body = { code, ...(values.disk !== undefined ? { disk: await resolveDisk(client, values.disk) } : {}) };
      return show(values.json, await client.call<SwapInfo>('POST', `/api/v1/swaps/${await currentId(client, given)}/confirm`, body));
    }
    case 'cancel':
    case 'retry': {
      const { values, positionals } = parse(rest, COMMON, true);
      const client = localClientFor(values);
      return show(values.json, await client.call<SwapInfo>('POST', `/api/v1/swaps/${await currentId(client, positionals[0])}/${sub}`));
    }
    default:
      throw new UsageError(`havend swap start|status|confirm|cancel|retry (got ${sub ?? 'nothing'})`);
  }
}
