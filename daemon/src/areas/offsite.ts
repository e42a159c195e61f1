// The offsite copy's bookkeeping (issue 15's 3-2-1 tile): on the source, each offsite's
// confirmations (the cursor of its replication token's changes requests); on both sides, the
// offsite state of a plan entry's group. It starts after the replication and accounts areas it
// reads and before the HTTP area, whose changes route records the confirmations.

import type { Catalog } from '../backup/catalog.js';
import type { EventBus } from '../events.js';
import { OffsiteStates } from '../plan/offsite-state.js';
import { OffsiteConfirmations } from '../replication/offsite-confirmations.js';
import type { PeerStore } from '../replication/peer-store.js';
import type { ReplicationService } from '../replication/replication-service.js';
import type { StateDb } from '../state/state-db.js';
import type { ChangeFeed } from '../store/store-api.js';
import type { TokenStore } from '../auth/tokens.js';

export interface OffsiteAreaDeps {
  state: StateDb;
  bus: EventBus;
  replication: Pick<ReplicationService, 'list'>;
  peers: Pick<PeerStore, 'ownerOf' | 'list'>;
  tokens: Pick<TokenStore, 'list'>;
  feed: ChangeFeed;
  catalog: Pick<Catalog, 'snapshots'>;
  now: () => number;
}

export function offsiteArea(deps: OffsiteAreaDeps) {
  const confirmations = new OffsiteConfirmations(deps.state, deps.bus, deps.now);
  const states = new OffsiteStates({
    feedingPeer: (group) => {
      const name = deps.peers.ownerOf(group);
      return name === undefined ? null : (deps.replication.list().find((s) => s.peer.name === name) ?? null);
    },
    peerNamed: (name) => deps.peers.list().find((p) => p.name === name) ?? null,
    tokens: deps.tokens, confirmations, feed: deps.feed, catalog: deps.catalog, now: deps.now,
  });
  return {
    name: 'offsite',
    confirmations, states,
    start(): void {},
    stop(): void {},
  };
}
