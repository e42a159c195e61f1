// `havend peer add|list|status|edit|resume-deletes|pause|resume|remove` and `havend replicate NAME [--wait]`: the offsite's
// replication peers, through the running daemon's control socket. The source's token is read
// from a file (never from the command line, where `ps` would show it); the daemon keeps it in
// the state directory, readable by root only.

import { readFileSync } from 'node:fs';
import type { AddPeerRequest, PeerList, PeerStatus, ReplicateResponse } from '../../../core/src/api/replication.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';
import { size } from '../../../core/src/text/size.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';
import { PAUSE_USAGE, pausePeer } from './peer-pause-args.js';
import { EDIT_USAGE, LIMIT_OPTIONS, LIMIT_USAGE, RESUME_USAGE, editPeer, limitsFromArgs } from './peer-limits-args.js';

const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;
const ADD_OPTIONS = {
  url: { type: 'string' }, 'token-file': { type: 'string' }, fingerprint: { type: 'string' }, groups: { type: 'string' },
  'group-prefix': { type: 'string' }, schedule: { type: 'string' }, 'lag-alert': { type: 'string' }, 'repair-only': { type: 'boolean' }, ...LIMIT_OPTIONS,
} as const;
const USAGE = [
  `havend peer add NAME --url URL --token-file FILE [--fingerprint FP] [--groups G,...] [--group-prefix P] [--schedule CRON] [--lag-alert DURATION] ${LIMIT_USAGE} [--repair-only]`,
  'havend peer list [--json] | status NAME [--json] | remove NAME',
  EDIT_USAGE,
  RESUME_USAGE,
  PAUSE_USAGE,
  '(each with [--data DIR] [--config FILE])',
].join('\n       ');
const REPLICATE_USAGE = 'havend replicate NAME [--wait] [--json] [--data DIR] [--config FILE]';

function statusLines(s: PeerStatus): string {
  const p = s.peer;
  if (p.repairOnly === true) return `${p.name}: ${p.url} (repair only: never pulled from; groups ${p.groups?.join(',') ?? 'all the token covers'})`;
  const lines = [
    `${p.name}: ${p.url} (${p.schedule === 'follow' ? 'follows the source' : `on schedule ${p.schedule}`}; groups ${p.groups?.join(',') ?? 'all the token covers'}`
      + `${p.groupPrefix ? `, prefixed ${p.groupPrefix}` : ''})`,
    `  state ${s.state}; ${s.snapshotsBehind} snapshot(s) behind, lag ${Math.round(s.lagSeconds)} s; last progress ${s.lastProgress ?? 'never'}`,
    `  pulled ${s.snapshotsPulled} snapshot(s), ${s.objectsFetched} object(s), ${size(s.bytesFetched)}; cursor ${s.cursor ? `${s.cursor.epoch}:${s.cursor.seq}` : 'none'}`,
  ];
  if (p.paused) lines.push(`  PAUSED since ${p.paused.since} by ${p.paused.by} (havend peer resume ${p.name})`);
  if (s.lastError) lines.push(`  last error (${s.lastError.time}): [${s.lastError.code}] ${s.lastError.message}`);
  lines.push(...limitLines(s));
  return lines.join('\n');
}

/** Bandwidth, windows and deletion propagation, when set. */
function limitLines(s: PeerStatus): string[] {
  const p = s.peer;
  const lines: string[] = [];
  const pace = [p.rateLimit !== null ? `at most ${p.rateLimit} MB/s` : '', p.windows.length > 0 ? `within ${p.windows.join(', ')}` : ''].filter((x) => x !== '');
  if (pace.length > 0) lines.push(`  pulls ${pace.join(' ')}${s.outsideWindowUntil ? `; outside window until ${s.outsideWindowUntil}` : ''}`);
  lines.push(p.propagateDeletesAfter === null
    ? '  deletions on the source are not propagated'
    : `  deletions on the source propagate after ${p.propagateDeletesAfter} (brake ${p.deleteBrake ?? '-'}%)${s.deletesPaused ? `; PAUSED since ${s.deletesPaused.since}: ${s.deletesPaused.reason}` : ''}`);
  for (const d of s.pendingDeletions) lines.push(`  pending deletion: ${d.local.slice(0, 12)} (${d.group}), due ${d.due}`);
  return lines;
}

export async function peerCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'edit' || sub === 'resume-deletes' || sub === 'pause' || sub === 'resume') {
    const { status, json } = sub === 'pause' || sub === 'resume' ? await pausePeer(sub, rest, COMMON) : await editPeer(sub, rest, COMMON);
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : `${statusLines(status)}\n`);
    return EXIT.ok;
  }
  if (sub !== 'add' && sub !== 'list' && sub !== 'status' && sub !== 'remove') throw new UsageError(`${USAGE} (got ${sub ?? 'nothing'})`);
  const { values, positionals } = parse(rest, sub === 'add' ? { ...COMMON, ...ADD_OPTIONS } : COMMON, true);
  const [name, ...extra] = positionals;
  if (extra.length > 0 || (name === undefined) !== (sub === 'list')) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const out = (json: unknown, text: string): number => {
    process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
    return EXIT.ok;
  };
  const path = `/api/v1/peers/${encodeURIComponent(name ?? '')}`;
  if (sub === 'list') {
    const all = await client.call<PeerList>('GET', '/api/v1/peers');
    return out(all, all.peers.length === 0 ? 'no replication peer' : all.peers.map(statusLines).join('\n'));
  }
  if (sub === 'status') {
    const s = await client.call<PeerStatus>('GET', path);
    return out(s, statusLines(s));
  }
  if (sub === 'remove') {
    await client.call<undefined>('DELETE', path);
    return out({ removed: name }, `${name as string}: removed (its snapshots stay on this appliance)`);
  }
  const add = values as { [K in Exclude<keyof typeof ADD_OPTIONS, 'window' | 'repair-only'>]?: string | undefined } & { window?: string[]; 'repair-only'?: boolean };
  const tokenFile = required(add['token-file'], '--token-file');
  const token = readFileSync(tokenFile, 'utf8').trim();
  if (token === '') throw new UsageError(`${tokenFile} holds no token`);
  const req: AddPeerRequest = { name: name as string, url: required(add.url, '--url'), token };
  if (add.fingerprint !== undefined) req.fingerprint = add.fingerprint;
  if (add.groups !== undefined) req.groups = add.groups.split(',').map((g) => g.trim()).filter((g) => g !== '');
  if (add['group-prefix'] !== undefined) req.groupPrefix = add['group-prefix'];
  if (add.schedule !== undefined) req.schedule = add.schedule;
  if (add['lag-alert'] !== undefined) req.lagAlert = add['lag-alert'];
  if (add['repair-only'] === true) req.repairOnly = true;
  Object.assign(req, limitsFromArgs(add, false));
  const s = await client.call<PeerStatus>('POST', '/api/v1/peers', req);
  return out(s, statusLines(s));
}

export async function replicateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, wait: { type: 'boolean' } }, true);
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new UsageError(REPLICATE_USAGE);
  const r = await localClientFor(values).call<ReplicateResponse>('POST', `/api/v1/peers/${encodeURIComponent(name)}/replicate`, { wait: values.wait === true });
  const text = values.wait
    ? `${name}: pulled ${r.pulled} snapshot(s), ${r.objectsFetched} object(s), ${size(r.bytesFetched)}; ${r.behind === 0 ? 'nothing behind' : `${r.behind} snapshot(s) still behind`} (task ${r.task ?? '-'})`
    : `${name}: pull started (task ${r.task ?? '-'}; havend replicate ${name} --wait follows it)`;
  process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${text}\n`);
  // --wait succeeds only when the offsite has everything the source had when the pull began.
  return values.wait && r.behind > 0 ? EXIT.failure : EXIT.ok;
}
