// The 3-2-1 lights' rules (daemon/src/plan/three-two-one.ts, offsite-state.ts), table-driven
// with a fixed clock: media from the pool's status, copies from where the group is held, and
// the offsite light of a group a peer brings here against the peer's lag-alert bound. The
// source side (confirmations from a real offsite) is tests/replication/offsite-confirmed.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OffsiteState, PlanEntry } from '../../core/src/api/plan.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import type { PeerStatus } from '../../core/src/api/replication.js';
import { OffsiteStates } from '../../daemon/src/plan/offsite-state.js';
import { threeTwoOne } from '../../daemon/src/plan/three-two-one.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;

function pool(over: Partial<PoolStatus>): PoolStatus {
  return {
    name: 'main', kind: 'btrfs', profile: 'raid1', uuid: null, mountPath: '/srv/haven', mounted: true, degradedMount: false,
    health: 'healthy', summary: 'all members present', datastorePath: '/srv/haven/datastore', minDevices: 2, tolerates: 1,
    usage: null, members: [], scrub: null, swap: null, ...over,
  };
}

const entry: PlanEntry = {
  group: 'web', owner: '', rpo: '1d', schedule: null, grace: '1h', rto: null, offsitePeer: null, offsiteRequired: true,
  mode: 'active', created: '2026-12-01T00:00:00Z', updated: '2026-12-01T00:00:00Z', updatedBy: 'admin',
};

function peer(over: Partial<PeerStatus>): PeerStatus {
  return {
    peer: { name: 'primary', url: 'https://source', fingerprint: null, groups: null, groupPrefix: null, schedule: 'follow', lagAlert: '1h', added: '2026-12-01T00:00:00Z',
      rateLimit: null, windows: [], propagateDeletesAfter: null, deleteBrake: null },
    state: 'idle', cursor: null, snapshotsBehind: 0, lagSeconds: 0, snapshotsPulled: 3, objectsFetched: 10, bytesFetched: 100,
    lastProgress: new Date(NOW - 60_000).toISOString(), lastError: null,
    outsideWindowUntil: null, pendingDeletions: [], deletesPaused: null, ...over,
  };
}

/** The offsite state of `entry` on an appliance where `feeding` brings the group (or nothing does). */
function offsiteOf(e: PlanEntry, feeding: PeerStatus | null): OffsiteState {
  return new OffsiteStates({
    feedingPeer: () => feeding, peerNamed: () => null, tokens: { list: () => [] }, confirmations: { get: () => null },
    feed: { head: () => ({ epoch: 'e', seq: 0 }), after: () => ({ changes: [], cursor: { epoch: 'e', seq: 0 }, reset: false }) },
    catalog: { snapshots: () => [] }, now: () => NOW,
  }).of(e);
}

test('media: the pool\'s redundancy and health', () => {
  const offsite = offsiteOf(entry, null);
  const media = (p: PoolStatus | null) => threeTwoOne({ backedUpHere: true, offsite, pool: p }).media;
  assert.equal(media(pool({})).level, 'green');
  assert.match(media(pool({})).reason, /btrfs raid1 .*healthy: it survives 1 failed disk/);
  assert.equal(media(pool({ health: 'errors', summary: 'sdb counted 3 write errors' })).level, 'amber');
  assert.deepEqual(media(pool({ health: 'degraded', summary: 'a member is missing' })), { level: 'red', reason: 'btrfs raid1 across 0 disk(s), degraded: a member is missing' });
  assert.equal(media(pool({ kind: 'directory', profile: null })).level, 'amber');
  assert.match(media(pool({ kind: 'directory', profile: null })).reason, /^one medium: the datastore is a plain directory/);
  assert.equal(media(null).level, 'amber');
});

test('offsite and copies: none named, not required, or this appliance is the offsite of a peer', () => {
  const none = offsiteOf(entry, null);
  assert.deepEqual([none.level, none.reason], ['red', 'no offsite copy: name the offsite (its replication token) in the plan entry']);
  assert.equal(offsiteOf({ ...entry, offsiteRequired: false }, null).level, 'amber');
  const copies = (backedUpHere: boolean, o: OffsiteState) => threeTwoOne({ backedUpHere, offsite: o, pool: null }).copies;
  assert.deepEqual(copies(false, none), { level: 'red', count: 1, reason: '1 copy: the client; no backup on this appliance yet' });
  assert.deepEqual(copies(true, none), { level: 'amber', count: 2, reason: '2 copies: the client, this appliance; no offsite copy confirmed' });

  // the peer's lag against its bound (1h): green, amber up to twice, red beyond
  const cases: Array<[Partial<PeerStatus>, OffsiteState['level']]> = [
    [{ lagSeconds: 0 }, 'green'],
    [{ lagSeconds: 3000, snapshotsBehind: 1 }, 'green'],
    [{ lagSeconds: 5400, snapshotsBehind: 1 }, 'amber'],
    [{ lagSeconds: 9000, snapshotsBehind: 2 }, 'red'],
    // failing with nothing known behind: the silence since its last progress counts
    [{ lastError: { code: 'SERVER_UNREACHABLE', message: 'connect ECONNREFUSED', time: new Date(NOW).toISOString() }, lastProgress: new Date(NOW - 3 * HOUR).toISOString() }, 'red'],
    // a quiet source is not a lag: nothing behind, no error, however long ago the last change
    [{ lastProgress: new Date(NOW - 30 * HOUR).toISOString() }, 'green'],
  ];
  for (const [over, level] of cases) {
    const o = offsiteOf(entry, peer(over));
    assert.equal(o.level, level, `${JSON.stringify(over)}: ${o.reason}`);
    assert.equal(o.role, 'offsite');
  }
  const failing = offsiteOf(entry, peer(cases[4]?.[0] ?? {}));
  assert.match(failing.reason, /^this appliance is the offsite copy, pulled from primary: lag 3\.0 h \(bound 1h\); last error: connect ECONNREFUSED$/);
  // a paused peer keeps counting, and says so
  const base = peer({});
  const paused = offsiteOf(entry, peer({
    peer: { ...base.peer, paused: { since: new Date(NOW - 3 * HOUR).toISOString(), by: 'admin' } }, state: 'paused',
    snapshotsBehind: 1, lagSeconds: 3 * 3600, lastProgress: new Date(NOW - 3 * HOUR).toISOString(),
  }));
  assert.equal(paused.level, 'red');
  assert.match(paused.reason, /lag 3\.0 h \(bound 1h\); paused since .* by admin; 1 snapshot\(s\) still to pull$/);
  assert.deepEqual(copies(true, offsiteOf(entry, peer({}))), { level: 'green', count: 3, reason: '3 copies: the client, the source appliance primary, this appliance' });
});
