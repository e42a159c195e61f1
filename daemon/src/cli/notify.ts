// `havend notify add|list|remove|test`: notification targets through the running daemon's
// control socket (issue 15). A webhook's secret and an SMTP password stay in files: the
// daemon reads them at each send.

import type { NotifyList, NotifyTarget, NotifyTargetInput, TargetChannel, TestSendResult } from '../../../core/src/api/notify.js';
import type { AlertSeverity } from '../../../core/src/api/jobs.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';
import { printer } from './print.js';

const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;
const ADD_OPTIONS = {
  webhook: { type: 'string' }, 'secret-file': { type: 'string' },
  smtp: { type: 'string' }, from: { type: 'string' }, to: { type: 'string', multiple: true },
  'smtp-user': { type: 'string' }, 'smtp-password-file': { type: 'string' }, 'smtp-tls': { type: 'boolean' },
  'min-severity': { type: 'string' }, kind: { type: 'string', multiple: true }, group: { type: 'string', multiple: true },
} as const;
const USAGE = 'havend notify add NAME (--webhook URL [--secret-file FILE] | --smtp HOST:PORT --from ADDR --to ADDR... [--smtp-user U --smtp-password-file FILE] [--smtp-tls]) '
  + '[--min-severity info|warning|critical] [--kind KIND]... [--group G]... | list | remove NAME | test NAME [--data DIR] [--config FILE] [--json]';
const SEVERITIES = ['info', 'warning', 'critical'] as const;

type AddValues = ReturnType<typeof parse<typeof COMMON & typeof ADD_OPTIONS>>['values'];

function channelFrom(v: AddValues): TargetChannel {
  if ((v.webhook === undefined) === (v.smtp === undefined)) throw new UsageError(`give either --webhook or --smtp: ${USAGE}`);
  if (v.webhook !== undefined) return { kind: 'webhook', url: v.webhook, ...(v['secret-file'] !== undefined ? { secretFile: v['secret-file'] } : {}) };
  const m = /^(.+):([0-9]{1,5})$/.exec(v.smtp as string);
  if (!m) throw new UsageError(`--smtp is HOST:PORT, not ${v.smtp as string}`);
  if (v.from === undefined || v.to === undefined) throw new UsageError('--smtp needs --from ADDR and --to ADDR');
  return {
    kind: 'smtp', host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), from: v.from, to: v.to,
    ...(v['smtp-tls'] === true ? { secure: true } : {}),
    ...(v['smtp-user'] !== undefined ? { user: v['smtp-user'] } : {}),
    ...(v['smtp-password-file'] !== undefined ? { passwordFile: v['smtp-password-file'] } : {}),
  };
}

function inputFrom(v: AddValues): NotifyTargetInput {
  const min = v['min-severity'];
  if (min !== undefined && !(SEVERITIES as readonly string[]).includes(min)) throw new UsageError(`--min-severity is one of ${SEVERITIES.join(', ')}, not ${min}`);
  return {
    channel: channelFrom(v),
    rule: { ...(min !== undefined ? { minSeverity: min as AlertSeverity } : {}), ...(v.kind ? { kinds: v.kind } : {}), ...(v.group ? { groups: v.group } : {}) },
  };
}

function targetLine(t: NotifyTarget): string {
  const where = t.channel.kind === 'webhook'
    ? `webhook ${t.channel.url}${t.channel.secretFile ? ' (signed)' : ''}`
    : `smtp ${t.channel.host}:${t.channel.port} from ${t.channel.from} to ${t.channel.to.join(', ')}`;
  const rule = [`min ${t.rule.minSeverity ?? 'warning'}`, t.rule.kinds?.length ? `kinds ${t.rule.kinds.join(',')}` : null, t.rule.groups?.length ? `groups ${t.rule.groups.join(',')}` : null]
    .filter((x) => x !== null).join(', ');
  return `${t.name}  ${where}  (${rule})`;
}

export async function notifyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove' && sub !== 'test') throw new UsageError(`${USAGE} (got ${sub ?? 'nothing'})`);
  const { values, positionals } = parse(rest, sub === 'add' ? { ...COMMON, ...ADD_OPTIONS } : COMMON, true);
  const [name, ...extra] = positionals;
  if (extra.length > 0 || (sub === 'list') !== (name === undefined)) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const path = `/api/v1/notify/targets/${encodeURIComponent(name ?? '')}`;
  const out = printer(values.json);
  switch (sub) {
    case 'add': {
      const t = await client.call<NotifyTarget>('PUT', path, inputFrom(values as AddValues));
      return out(t, targetLine(t));
    }
    case 'remove':
      await client.call<undefined>('DELETE', path);
      return out({ removed: name }, `${name as string}: removed`);
    case 'test': {
      const r = await client.call<TestSendResult>('POST', `${path}/test`);
      return out(r, r.delivered ? `${r.target}: test delivered` : `${r.target}: test NOT delivered: ${r.error ?? 'unknown error'}`, r.delivered ? EXIT.ok : EXIT.failure);
    }
    default: {
      const list = await client.call<NotifyList>('GET', '/api/v1/notify/targets');
      return out(list, list.targets.length === 0 ? 'no notification target: havend notify add NAME --webhook URL | --smtp HOST:PORT ...' : list.targets.map(targetLine).join('\n'));
    }
  }
}
