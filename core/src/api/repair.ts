// Repair from a replication peer on the wire (issues 14 and 15): `havend store repair
// --from-peer NAME` and the repairs verification makes by itself. How it works is in
// daemon/src/replication/peer-repair.ts and docs/ARCHITECTURE.md ("Repair from the peer").

import { Type, type Static } from 'typebox';
import { DamagedSnapshot, VerifySummary } from './verify.js';

const PeerName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });

/** POST /api/v1/store/repair: answers when the repair has ended. */
export const RepairRequest = Type.Object({ peer: PeerName }, { additionalProperties: false });
export type RepairRequest = Static<typeof RepairRequest>;

export const UnavailableObject = Type.Object({
  digest: Type.String(),
  /** Why the peer did not give a good copy: its error code and message (OBJECT_NOT_FOUND, STORE_CORRUPT, DIGEST_MISMATCH, ...). */
  reason: Type.String(),
});
export type UnavailableObject = Static<typeof UnavailableObject>;

/** What one repair from one peer did (also the `store.repaired` event). */
export const RepairOutcome = Type.Object({
  peer: Type.String(),
  /** Damaged or missing objects written anew from the peer's verified copies (hex). */
  repaired: Type.Array(Type.String()),
  /** Objects the peer could not give a good copy of. */
  unavailable: Type.Array(UnavailableObject),
});
export type RepairOutcome = Static<typeof RepairOutcome>;

export const RepairReport = Type.Object({
  peer: Type.String(),
  /** The task (kind `store.repair`) with its log. */
  task: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('interrupted')]),
  /** The verification that found what to repair: every snapshot's objects read again. */
  checked: Type.Union([VerifySummary, Type.Null()]),
  repaired: Type.Array(Type.String()),
  unavailable: Type.Array(UnavailableObject),
  /** Objects still damaged (quarantined) or missing after the repair: the command exits 1 when there are any. */
  stillDamaged: Type.Array(Type.String()),
  damagedSnapshots: Type.Array(DamagedSnapshot),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type RepairReport = Static<typeof RepairReport>;
