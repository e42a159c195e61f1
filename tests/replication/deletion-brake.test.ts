// The deletion brake's arithmetic (deletion-propagation.ts brakeTrips): more than the share of
// a group's replicated snapshots vanishing in one batch trips it; exactly the share does not.
// (The peer's whole share is an average of its groups': it passes the brake only with one.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brakeTrips } from '../../daemon/src/replication/deletion-propagation.js';

const m = (o: Record<string, number>) => new Map(Object.entries(o));

test('the brake trips above the share of a group, not at it', () => {
  assert.equal(brakeTrips(m({ web: 1 }), m({ web: 10, db: 10 }), 10), null, '1 of 10 is 10%: not more');
  assert.match(brakeTrips(m({ web: 2 }), m({ web: 10, db: 10 }), 10) ?? '', /2 of 10 replicated snapshot\(s\) of group web vanished at once \(brake 10%\)/);
  assert.equal(brakeTrips(m({ web: 1, db: 1 }), m({ web: 10, db: 10 }), 10), null, '10% of each and of all');
  assert.match(brakeTrips(m({ a: 1, b: 1, c: 2 }), m({ a: 10, b: 10, c: 10 }), 10) ?? '', /2 of 10 .* group c/, 'one group over its share among others at it');
  assert.equal(brakeTrips(m({}), m({ web: 3 }), 10), null, 'nothing vanished');
  assert.match(brakeTrips(m({ web: 1 }), m({ web: 3 }), 30) ?? '', /1 of 3/, 'a small group trips on one deletion');
  assert.equal(brakeTrips(m({ web: 3 }), m({ web: 3 }), 100), null, 'a brake of 100% never trips');
});
