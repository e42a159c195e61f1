// A typed client for havend's HTTP API: the JSON calls, each answer checked against its
// schema (network data is never trusted by cast), over HttpTransport's requests, digest
// batches and frame streams. Errors come back as HavenError with the server's code.
// The schemas are core/src/api's TypeBox definitions, exported to json-schemas.ts so the
// CLI does not load TypeBox at start-up (types come from core/src/api, erased at build).

import type { Readable } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import type {
  ChunksResponse, CommitRequest, CommitResponse, SessionInfo, StartBackupRequest, StartBackupResponse,
} from '../../../core/src/api/backup.js';
import type { GroupList, SnapshotDetail, SnapshotList, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { HealthResponse } from '../../../core/src/api/system.js';
import { HttpTransport } from './http-transport.js';
import { checkJson } from '../../../core/src/json-check.js';
import { JSON_SCHEMAS } from './json-schemas.js';

export { readAll, isHavenError, type ApiClientOptions } from './http-transport.js';

interface Answers {
  health: HealthResponse;
  startBackup: StartBackupResponse;
  session: SessionInfo;
  chunks: ChunksResponse;
  commit: CommitResponse;
  groups: GroupList;
  snapshots: SnapshotList;
  snapshot: SnapshotSummary;
}

function check<K extends keyof Answers>(kind: K, what: string, value: unknown): Answers[K] {
  const problem = checkJson(JSON_SCHEMAS[kind], value);
  if (problem !== null) throw new HavenError('RESPONSE_INVALID', { what, detail: problem });
  return value as Answers[K]; // checked against the schema of Answers[K] just above
}

export class ApiClient extends HttpTransport {
  /** A JSON call whose answer is checked against its schema. */
  async checked<K extends keyof Answers>(kind: K, method: string, path: string, body?: unknown): Promise<Answers[K]> {
    return check(kind, `${method} ${path}`, await this.json<unknown>(method, path, body));
  }

  health(): Promise<Answers['health']> {
    return this.checked('health', 'GET', '/api/v1/health');
  }

  startBackup(req: Partial<StartBackupRequest> & { group: string }): Promise<StartBackupResponse> {
    return this.checked('startBackup', 'POST', '/api/v1/backups', { host: '', paths: [], tags: [], ...req });
  }

  session(id: string): Promise<SessionInfo> {
    return this.checked('session', 'GET', `/api/v1/backups/${id}`);
  }

  async uploadFrames(session: string, frames: Readable | AsyncIterable<Uint8Array>): Promise<ChunksResponse> {
    return check('chunks', 'POST /backups/:id/chunks', await this.uploadFramesRaw(session, frames));
  }

  commit(session: string, req: CommitRequest): Promise<CommitResponse> {
    return this.checked('commit', 'POST', `/api/v1/backups/${session}/commit`, req);
  }

  abort(session: string): Promise<SessionInfo> {
    return this.checked('session', 'DELETE', `/api/v1/backups/${session}`);
  }

  groups(): Promise<GroupList> {
    return this.checked('groups', 'GET', '/api/v1/groups');
  }

  /** A group's snapshots, oldest first; with `last`, only the newest `last` of them. */
  snapshots(group: string, last?: number): Promise<SnapshotList> {
    return this.checked('snapshots', 'GET', `/api/v1/groups/${encodeURIComponent(group)}/snapshots${last === undefined ? '' : `?last=${last}`}`);
  }

  /** One snapshot with the warnings its backup reported. */
  snapshot(ref: string): Promise<SnapshotDetail> {
    return this.checked('snapshot', 'GET', `/api/v1/snapshots/${ref}`);
  }

  deleteSnapshot(ref: string): Promise<void> {
    return this.json('DELETE', `/api/v1/snapshots/${ref}`);
  }
}
