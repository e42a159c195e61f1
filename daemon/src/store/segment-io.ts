// The seam between the segment code and the file system: how a segment file is opened, and
// the few calls made on it. Production passes node:fs; the store's tests pass a wrapper that
// injects EIO, short writes, ENOSPC after N bytes and torn writes (tests/store/).
//
// The seam sits at the file handle, below the direct and buffered segment files
// (segment-file.ts), not above them: a fault injected here runs through their real staging,
// short-write retries and cut-backs, which are exactly the code a fault must not break.

import { open } from 'node:fs/promises';

/** The part of node's FileHandle that segment writing and reading use. */
export interface SegmentHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens segment files; `flags` and `mode` as for node's fs.open (O_DIRECT included). */
export interface SegmentFileSystem {
  open(path: string, flags: number | string, mode?: number): Promise<SegmentHandle>;
}

export const nodeSegmentFs: SegmentFileSystem = {
  open: (path, flags, mode) => open(path, flags, mode),
};

let daemonSegmentFs: SegmentFileSystem = nodeSegmentFs;

/**
 * Replaces the file system the daemon's datastore opens segments through, before the daemon
 * starts. Only a test entry point calls it (tests/faults/havend-faulty.ts): it is how a real
 * havend, over loopback, with real clients and peers, runs on a disk whose reads fail.
 */
export function installDaemonSegmentFs(fs: SegmentFileSystem): void {
  daemonSegmentFs = fs;
}

/** What the daemon's datastore opens segments through: node:fs unless a test entry point installed another. */
export function daemonSegmentFileSystem(): SegmentFileSystem {
  return daemonSegmentFs;
}
