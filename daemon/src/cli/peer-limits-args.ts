// The options of a peer's bandwidth limit, time windows and deletion propagation, shared by
// `havend peer add` and `havend peer edit`; and `peer edit` and `peer resume-deletes`
// themselves (PATCH /api/v1/peers/NAME through the control socket).

import type { PeerLimits, PeerStatus, UpdatePeerRequest } from '../../../core/src/api/replication.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { localClientFor } from './local-client.js';

export const LIMIT_OPTIONS = {
  'rate-limit': { type: 'string' }, window: { type: 'string', multiple: true },
  'propagate-deletes-after': { type: 'string' }, 'delete-brake': { type: 'string' },
} as const;

export const LIMIT_USAGE = '[--rate-limit MB_PER_S] [--window "Mon-Fri 19:00-07:00"]... [--propagate-deletes-after DURATION] [--delete-brake PERCENT]';
export const EDIT_USAGE = `havend peer edit NAME [--lag-alert DURATION] [--schedule CRON|follow] [--groups G,...|all] [--rate-limit MB_PER_S|none] [--window W]... [--no-windows] [--propagate-deletes-after DURATION|never] [--delete-brake PERCENT]`;
export const RESUME_USAGE = 'havend peer resume-deletes NAME [--drop-pending]';

interface LimitValues {
  'rate-limit'?: string | undefined;
  window?: string[] | undefined;
  'propagate-deletes-after'?: string | undefined;
  'delete-brake'?: string | undefined;
}

function rate(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(n > 0)) throw new UsageError(`--rate-limit ${text}: write megabytes per second, a number above 0 (e.g. 12.5)`);
  return n;
}

function percent(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 100) throw new UsageError(`--delete-brake ${text}: write a whole percentage from 1 to 100`);
  return n;
}

/** The limits the options give; with `lifting`, `none`/`never` lift a limit (null). The daemon checks windows and durations. */
export function limitsFromArgs(v: LimitValues, lifting: boolean): Partial<PeerLimits> {
  const out: Partial<PeerLimits> = {};
  const r = v['rate-limit'];
  if (r !== undefined) out.rateLimit = lifting && r === 'none' ? null : rate(r);
  if (v.window !== undefined) out.windows = v.window;
  const p = v['propagate-deletes-after'];
  if (p !== undefined) out.propagateDeletesAfter = lifting && p === 'never' ? null : p;
  if (v['delete-brake'] !== undefined) out.deleteBrake = percent(v['delete-brake']);
  return out;
}

/** `peer edit NAME ...` and `peer resume-deletes NAME`: the peer's status afterwards. */
export async function editPeer(sub: 'edit' | 'resume-deletes', rest: string[], common: Record<string, { type: 'string' | 'boolean' }>): Promise<{ status: PeerStatus; json: boolean }> {
  const options = sub === 'edit'
    ? { ...common, ...LIMIT_OPTIONS, 'lag-alert': { type: 'string' }, 'no-windows': { type: 'boolean' }, schedule: { type: 'string' }, groups: { type: 'string' } } as const
    : { ...common, 'drop-pending': { type: 'boolean' } } as const;
  const { values, positionals } = parse(rest, options, true);
  const v = values as LimitValues & { schedule?: string; groups?: string; 'lag-alert'?: string; 'no-windows'?: boolean; 'drop-pending'?: boolean; json?: boolean; data?: string; config?: string };
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new UsageError(sub === 'edit' ? EDIT_USAGE : RESUME_USAGE);
  let req: UpdatePeerRequest;
  if (sub === 'resume-deletes') req = { deletesPaused: false, ...(v['drop-pending'] ? { dropPendingDeletes: true } : {}) };
  else {
    if (v['no-windows'] && v.window !== undefined) throw new UsageError('--no-windows and --window exclude each other');
    req = { ...limitsFromArgs(v, true), ...(v['no-windows'] ? { windows: [] } : {}), ...(v['lag-alert'] !== undefined ? { lagAlert: v['lag-alert'] } : {}) };
    if (v.schedule !== undefined) req.schedule = v.schedule;
    if (v.groups !== undefined) req.groups = v.groups === 'all' ? null : v.groups.split(',').map((g) => g.trim()).filter((g) => g !== '');
    if (Object.keys(req).length === 0) throw new UsageError(`nothing to change: ${EDIT_USAGE}`);
  }
  const status = await localClientFor(v).call<PeerStatus>('PATCH', `/api/v1/peers/${encodeURIComponent(name)}`, req);
  return { status, json: v.json === true };
}
