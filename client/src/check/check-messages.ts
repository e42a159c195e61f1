// What `haven check --read-data` hands its reader threads and what they answer (structured clone).

import type { ServerConnection } from '../api/http-transport.js';

export interface CheckWorkerData {
  connection: ServerConnection;
  snapshot: string;
}

export interface CheckJob {
  /** Distinct chunk digests, 32 bytes each: one request's worth. */
  digests: Uint8Array;
}

export interface CheckJobResult {
  /** Raw bytes read and verified. */
  bytes: number;
  /** One line per chunk that could not be read or verified. */
  problems: string[];
}
