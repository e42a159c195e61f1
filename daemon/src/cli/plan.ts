// `havend plan add|list|enroll|remove`: the protection plan through the running daemon's
// control socket (issue 15). `plan add` on a group that has an entry replaces it (its
// creation time is kept); `plan enroll` creates a fresh backup:<group> token and prints the
// line to run on the client. `--drill-schedule` gives the entry its own drill schedule (cron,
// or `never`: on demand only); `--link-rate` the client's link in MB/s, which bounds the
// drill's RTO estimate.

import { DRILL_NEVER } from '../../../core/src/api/wire-constants.js';
import type { Enrolment, PlanEntryInput, PlanEntryStatus, PlanList } from '../../../core/src/api/plan.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';
import { localClientFor } from './local-client.js';
import { printer } from './print.js';

const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;
/** `plan add`: the 3-2-1 offsite copy is not required for this group (its tile shows amber, not red). */
const OFFSITE_OPTIONAL = { 'offsite-optional': { type: 'boolean' } } as const;
const ADD_OPTIONS = {
  rpo: { type: 'string' }, rto: { type: 'string' }, schedule: { type: 'string' }, grace: { type: 'string' },
  owner: { type: 'string' }, offsite: { type: 'string' }, mode: { type: 'string' },
  'drill-schedule': { type: 'string' }, 'link-rate': { type: 'string' },
} as const;
const USAGE = 'havend plan add GROUP --rpo DURATION [--rto DURATION] [--schedule CRON] [--grace DURATION] [--owner TEXT] [--offsite PEER] [--offsite-optional] '
  + '[--mode active|paused|retired] [--drill-schedule CRON|never] [--link-rate MB_PER_S] | list | enroll GROUP | remove GROUP [--data DIR] [--config FILE] [--json]';
const MODES = ['active', 'paused', 'retired'] as const;

function entryLine(s: PlanEntryStatus): string {
  const e = s.entry;
  const goal = [`RPO ${e.rpo}`, e.schedule ? `schedule "${e.schedule}"` : null, e.rto ? `RTO ${e.rto}` : null, e.offsitePeer ? `offsite ${e.offsitePeer}` : null,
    e.drillSchedule ? `drills ${e.drillSchedule === DRILL_NEVER ? 'on demand only' : `"${e.drillSchedule}"`}` : null,
    e.linkRateMBps ? `link ${e.linkRateMBps} MB/s` : null]
    .filter((x) => x !== null).join(', ');
  const { copies, media, offsite } = s.threeTwoOne;
  return `${s.state.padEnd(8)} ${s.group}  ${goal}${e.owner ? `  owner ${e.owner}` : ''}\n         ${s.reason}`
    + `\n         3-2-1: copies ${copies.level} (${copies.count}), media ${media.level}, offsite ${offsite.level}: ${offsite.reason}`;
}

/** `--link-rate 12.5`: MB/s, a positive number (the daemon checks the bounds again). */
function linkRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !Number.isFinite(rate) || rate <= 0) throw new UsageError(`--link-rate is a positive number of MB/s, not ${text}`);
  return rate;
}

function inputFrom(values: { [K in keyof typeof ADD_OPTIONS]?: string | undefined }): PlanEntryInput {
  const mode = values.mode;
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode is one of ${MODES.join(', ')}, not ${mode}`);
  return {
    rpo: required(values.rpo, '--rpo'),
    ...(values.rto !== undefined ? { rto: values.rto } : {}),
    ...(values.schedule !== undefined ? { schedule: values.schedule } : {}),
    ...(values.grace !== undefined ? { grace: values.grace } : {}),
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    ...(values.offsite !== undefined ? { offsitePeer: values.offsite } : {}),
    ...(mode !== undefined ? { mode: mode as (typeof MODES)[number] } : {}),
    ...(values['drill-schedule'] !== undefined ? { drillSchedule: values['drill-schedule'] } : {}),
    ...(values['link-rate'] !== undefined ? { linkRateMBps: linkRate(values['link-rate']) } : {}),
  };
}

export async function planCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add' && sub !== 'list' && sub !== 'enroll' && sub !== 'remove') throw new UsageError(`${USAGE} (got ${sub ?? 'nothing'})`);
  const { values, positionals } = parse(rest, sub === 'add' ? { ...COMMON, ...ADD_OPTIONS, ...OFFSITE_OPTIONAL } : COMMON, true);
  const [group, ...extra] = positionals;
  if (extra.length > 0 || (sub === 'list') !== (group === undefined)) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const path = `/api/v1/plan/${encodeURIComponent(group ?? '')}`;
  const out = printer(values.json);
  switch (sub) {
    case 'add': {
      const input = inputFrom(values as { [K in keyof typeof ADD_OPTIONS]?: string });
      if ((values as { 'offsite-optional'?: boolean })['offsite-optional'] === true) input.offsiteRequired = false;
      const s = await client.call<PlanEntryStatus>('PUT', path, input);
      return out(s, `${entryLine(s)}\nenrol the client: havend plan enroll ${s.group}`);
    }
    case 'remove':
      await client.call<undefined>('DELETE', path);
      return out({ removed: group }, `${group as string}: removed from the plan (its alerts are resolved)`);
    case 'enroll': {
      const e = await client.call<Enrolment>('POST', `${path}/enroll`);
      return out(e, [
        `# on the client machine (the token is shown only now):`,
        e.command,
        `# then, by hand or on a schedule:`,
        e.backupCommand,
      ].join('\n'));
    }
    default: {
      const list = await client.call<PlanList>('GET', '/api/v1/plan');
      const lines = list.entries.map(entryLine);
      if (lines.length === 0) lines.push('the protection plan is empty: havend plan add GROUP --rpo DURATION');
      for (const u of list.unplanned) lines.push(`UNPLANNED ${u.group}  ${u.snapshots} snapshot(s), newest ${u.newestSnapshot ?? 'none'}`);
      return out(list, lines.join('\n'));
    }
  }
}
