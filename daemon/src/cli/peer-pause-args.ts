// `havend peer pause NAME` and `havend peer resume NAME`: a paused peer neither follows nor
// runs its schedule (a pull under way stops before its next object request) until resumed.

import type { PeerStatus } from '../../../core/src/api/replication.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { localClientFor } from './local-client.js';

export const PAUSE_USAGE = 'havend peer pause NAME | resume NAME';

export async function pausePeer(sub: 'pause' | 'resume', rest: string[], common: Record<string, { type: 'string' | 'boolean' }>): Promise<{ status: PeerStatus; json: boolean }> {
  const { values, positionals } = parse(rest, common, true);
  const v = values as { json?: boolean; data?: string; config?: string };
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new UsageError(PAUSE_USAGE);
  const status = await localClientFor(v).call<PeerStatus>('POST', `/api/v1/peers/${encodeURIComponent(name)}/${sub}`, {});
  return { status, json: v.json === true };
}
