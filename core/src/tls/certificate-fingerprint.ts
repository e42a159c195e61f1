// The fingerprint of a DER certificate, for Node code (daemon and client); the UI only
// displays fingerprints and uses fingerprint.ts alone.

import { createHash } from 'node:crypto';
import { formatFingerprint } from './fingerprint.js';

export function certificateFingerprint(der: Uint8Array): string {
  return formatFingerprint(createHash('sha256').update(der).digest());
}
