// Schemas shared by several API areas. TypeBox gives both the JSON Schema that validates
// requests and the static type that the daemon, the client and the UI import.

import { Type, type Static } from 'typebox';
import { GROUP_PATTERN } from './wire-constants.js';

export { GROUP_PATTERN, isValidGroup } from './wire-constants.js';
export const GroupName = Type.String({ pattern: GROUP_PATTERN });
export const HexDigest = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** A snapshot id or a unique prefix of at least 6 hex digits. */
export const SnapshotRef = Type.String({ pattern: '^[0-9a-f]{6,64}$' });
export const IsoTime = Type.String({ format: 'date-time' });

export const Counters = Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,63}$' }), Type.Integer({ minimum: 0 }));
export type Counters = Static<typeof Counters>;
