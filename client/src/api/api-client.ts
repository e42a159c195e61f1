// A typed client for havend's HTTP API: the JSON calls, each answer checked against its
// TypeBox schema (network data is never trusted by cast), over HttpTransport's requests,
// digest batches and frame streams. Errors come back as HavenError with the server's code.

import type { Readable } from 'node:stream';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { HavenError } from '../../../core/src/errors.js';
import {
  ChunksResponse, CommitResponse, SessionInfo, StartBackupResponse, type CommitRequest, type StartBackupRequest,
} from '../../../core/src/api/backup.js';
import { GroupList, SnapshotList, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { HttpTransport } from './http-transport.js';

export { readAll, isHavenError, type ApiClientOptions } from './http-transport.js';

const HealthResponse = Type.Object({ status: Type.String(), version: Type.String(), datastore: Type.String() });

function check<S extends TSchema>(schema: S, what: string, value: unknown): Static<S> {
  if (!Value.Check(schema, value)) {
    const first = [...Value.Errors(schema, value)][0];
    throw new HavenError('RESPONSE_INVALID', { what, detail: first ? `${first.instancePath || '/'} ${first.message}` : 'schema mismatch' });
  }
  return value;
}

export class ApiClient extends HttpTransport {
  /** A JSON call whose answer is checked against its schema. */
  async checked<S extends TSchema>(schema: S, what: string, method: string, path: string, body?: unknown): Promise<Static<S>> {
    return check(schema, what, await this.json<unknown>(method, path, body));
  }

  health(): Promise<Static<typeof HealthResponse>> {
    return this.checked(HealthResponse, 'GET /health', 'GET', '/api/v1/health');
  }

  startBackup(req: Partial<StartBackupRequest> & { group: string }): Promise<StartBackupResponse> {
    return this.checked(StartBackupResponse, 'POST /backups', 'POST', '/api/v1/backups', { host: '', paths: [], tags: [], ...req });
  }

  session(id: string): Promise<SessionInfo> {
    return this.checked(SessionInfo, 'GET /backups/:id', 'GET', `/api/v1/backups/${id}`);
  }

  async uploadFrames(session: string, frames: Readable | AsyncIterable<Uint8Array>): Promise<ChunksResponse> {
    return check(ChunksResponse, 'POST /backups/:id/chunks', await this.uploadFramesRaw(session, frames));
  }

  commit(session: string, req: CommitRequest): Promise<CommitResponse> {
    return this.checked(CommitResponse, 'POST /backups/:id/commit', 'POST', `/api/v1/backups/${session}/commit`, req);
  }

  abort(session: string): Promise<SessionInfo> {
    return this.checked(SessionInfo, 'DELETE /backups/:id', 'DELETE', `/api/v1/backups/${session}`);
  }

  groups(): Promise<GroupList> {
    return this.checked(GroupList, 'GET /groups', 'GET', '/api/v1/groups');
  }

  snapshots(group: string): Promise<SnapshotList> {
    return this.checked(SnapshotList, 'GET /groups/:group/snapshots', 'GET', `/api/v1/groups/${encodeURIComponent(group)}/snapshots`);
  }

  snapshot(ref: string): Promise<SnapshotSummary> {
    return this.checked(SnapshotSummary, 'GET /snapshots/:id', 'GET', `/api/v1/snapshots/${ref}`);
  }

  deleteSnapshot(ref: string): Promise<void> {
    return this.json('DELETE', `/api/v1/snapshots/${ref}`);
  }
}
