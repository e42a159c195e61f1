// Jobs for the restore writers: files with their chunks and metadata.

import type { ServerConnection } from '../api/http-transport.js';
import type { TargetHandle } from './restore-target.js';

export interface RestoreWorkerData {
  connection: ServerConnection;
  snapshot: string;
  maxChunk: number;
  /** Restore ownership (root only). */
  chown: boolean;
  /** The target: files are opened below its descriptor, never through a link. */
  target: TargetHandle;
}

export interface RestoreFileItem {
  /** Absolute path, for messages. */
  path: string | Uint8Array;
  /** Path below the target: what the file is opened with. */
  rel: string | Uint8Array;
  size: number;
  /** Chunk digests in order, 32 bytes each. */
  chunks: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  xattrs?: Array<[string, Uint8Array]>;
}

export interface RestoreJob {
  files: RestoreFileItem[];
}

export interface RestoreJobResult {
  bytesWritten: number;
  /** Bytes left as holes (all-zero chunks not written). */
  bytesSparse: number;
  warnings: string[];
}
