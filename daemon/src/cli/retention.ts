// `havend retention set|show|clear` and `havend prune`: retention policies per group and
// pruning by them, through the running daemon's control socket (like `havend snapshot`).
// `havend prune` returns once its deletions are committed (the daemon answers when the prune
// task has ended); `--dry-run` deletes nothing and prints every snapshot's keep/remove and
// why. Prune deletes snapshots; it reclaims no space (garbage collection does, later).

import type { GroupPrune, PolicyList, PruneResponse, RetentionPolicy, SnapshotDecision, StoredPolicy } from '../../../core/src/api/retention.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { COUNT_RULES } from '../../../core/src/retention/policy.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';
import { printer } from './print.js';

const RULE_OPTIONS = {
  'keep-last': { type: 'string' },
  'keep-hourly': { type: 'string' },
  'keep-daily': { type: 'string' },
  'keep-weekly': { type: 'string' },
  'keep-monthly': { type: 'string' },
  'keep-yearly': { type: 'string' },
  'keep-within': { type: 'string' },
} as const;
const COMMON = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;
const RULES = '[--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--keep-within DURATION]';
const USAGE = `havend retention set GROUP ${RULES} | show [GROUP] | clear GROUP [--data DIR] [--config FILE] [--json]`;
const PRUNE_USAGE = `havend prune [--group G] ${RULES} [--dry-run] [--data DIR] [--config FILE] [--json]`;

type RuleValues = { [K in keyof typeof RULE_OPTIONS]?: string | undefined };

/** keepLast <- --keep-last and so on; counts are whole numbers (the daemon checks the rest). */
function policyFrom(values: RuleValues): RetentionPolicy {
  const policy: Record<string, number | string> = {};
  for (const rule of COUNT_RULES) {
    const flag = `keep-${rule.slice(4).toLowerCase()}` as keyof RuleValues;
    const text = values[flag];
    if (text === undefined) continue;
    if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${flag} takes a whole number >= 0, not ${JSON.stringify(text)}`);
    policy[rule] = Number(text);
  }
  if (values['keep-within'] !== undefined) policy.keepWithin = values['keep-within'];
  return policy as RetentionPolicy;
}

function describePolicy(p: RetentionPolicy): string {
  const parts = Object.entries(p).map(([k, v]) => `--keep-${k.slice(4).toLowerCase()} ${String(v)}`);
  return parts.length > 0 ? parts.join(' ') : '(no rule: never pruned)';
}

function describeStored(s: StoredPolicy): string {
  return `${s.group}: ${describePolicy(s.policy)} (set by ${s.updatedBy} at ${s.updated})`;
}

function decisionLine(d: SnapshotDecision): string {
  return `  ${d.keep ? 'keep  ' : 'remove'} ${d.id.slice(0, 12)} ${d.time}  ${d.reasons.join(', ')}`;
}

export async function retentionCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'set' && sub !== 'show' && sub !== 'clear') throw new UsageError(`${USAGE} (got ${sub ?? 'nothing'})`);
  const { values, positionals } = parse(rest, sub === 'set' ? { ...COMMON, ...RULE_OPTIONS } : COMMON, true);
  const [group, ...extra] = positionals;
  if (extra.length > 0 || (group === undefined && sub !== 'show')) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const out = printer(values.json);
  if (sub === 'set') {
    const policy = policyFrom(values as RuleValues);
    if (Object.keys(policy).length === 0) throw new UsageError(`retention set needs at least one rule: ${RULES}`);
    const s = await client.call<StoredPolicy>('PUT', `/api/v1/retention/${encodeURIComponent(group as string)}`, policy);
    return out(s, describeStored(s));
  }
  if (sub === 'clear') {
    await client.call<undefined>('DELETE', `/api/v1/retention/${encodeURIComponent(group as string)}`);
    return out({ cleared: group }, `${group as string}: policy cleared (never pruned)`);
  }
  if (group !== undefined) {
    const s = await client.call<StoredPolicy>('GET', `/api/v1/retention/${encodeURIComponent(group)}`);
    return out(s, describeStored(s));
  }
  const all = await client.call<PolicyList>('GET', '/api/v1/retention');
  return out(all, all.policies.length === 0 ? 'no retention policy: nothing is pruned' : all.policies.map(describeStored).join('\n'));
}

export async function pruneCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, ...RULE_OPTIONS, group: { type: 'string' }, 'dry-run': { type: 'boolean' } }, true);
  if (positionals.length > 0) throw new UsageError(PRUNE_USAGE);
  const policy = policyFrom(values);
  const overrides = Object.keys(policy).length > 0;
  if (overrides && values.group === undefined) throw new UsageError(`--keep-* overrides one group's policy: add --group G (${PRUNE_USAGE})`);
  const body = {
    ...(values.group !== undefined ? { group: values.group } : {}),
    ...(overrides ? { policy } : {}),
    ...(values['dry-run'] === true ? { dryRun: true } : {}),
  };
  const res = await localClientFor(values).call<PruneResponse>('POST', '/api/v1/prune', body);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return EXIT.ok;
  }
  const { summary } = res;
  const lines = summary.groups.map((g: GroupPrune) => [
    `${g.group} (${describePolicy(g.policy)}): ${summary.dryRun ? 'would remove' : 'removed'} ${g.removed.length} of ${g.snapshots.length}`,
    ...(summary.dryRun ? g.snapshots.map(decisionLine) : []),
    ...g.skipped.map((s) => `  kept ${s.id.slice(0, 12)}: ${s.reason}`),
  ].join('\n'));
  if (lines.length === 0) lines.push('no group has a retention policy: nothing pruned');
  lines.push(`${summary.dryRun ? 'dry run: would remove' : 'removed'} ${summary.removed} snapshot(s) (task ${res.task.id}); space is reclaimed only by garbage collection`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
