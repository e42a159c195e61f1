// The offsite's view of a source appliance: its replication routes over the client's HTTP
// layer (keep-alive connections, the pinned-certificate agent: a changed certificate is
// refused before the token is sent). Every JSON answer is checked against its schema: the
// source is another machine, and nothing it sends is trusted by cast.

import type http from 'node:http';
import type { TSchema, Static } from 'typebox';
import { HavenError } from '../../../core/src/errors.js';
import { ChangesResponse, type FeedCursor } from '../../../core/src/api/replication.js';
import { GroupList, SnapshotList, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { MEDIA_DIGESTS, MEDIA_FRAMES } from '../../../core/src/api/wire-constants.js';
import { HttpTransport, readAll } from '../../../client/src/api/http-transport.js';

export interface SourceConnection {
  url: string;
  token: string;
  fingerprint: string | null;
  /** Parallel object streams (plus one for the feed and listings). */
  streams: number;
}

/** Longer than the longest long poll the client asks for, so a quiet feed is not a dead server. */
const IDLE_MS = 90_000;

export class SourceClient {
  private readonly http: HttpTransport;

  constructor(source: SourceConnection) {
    this.http = new HttpTransport({
      server: source.url, token: source.token, ...(source.fingerprint ? { fingerprint: source.fingerprint } : {}),
      timeouts: { connectMs: 15_000, idleMs: IDLE_MS }, maxSockets: source.streams + 2,
    });
  }

  close(): void {
    this.http.close();
  }

  private async checked<S extends TSchema>(schema: S, path: string): Promise<Static<S>> {
    const value = await this.http.json<unknown>('GET', path);
    // TypeBox's checker loads at the first pull: a daemon without peers never needs it (~0.25 s of CPU at start).
    const { Value } = await import('typebox/value');
    if (!Value.Check(schema, value)) {
      const first = [...Value.Errors(schema, value)][0];
      throw new HavenError('RESPONSE_INVALID', { what: `GET ${path}`, detail: first ? `${first.instancePath} ${first.message}` : 'does not match its schema' });
    }
    return value;
  }

  groups(): Promise<GroupList> {
    return this.checked(GroupList, '/api/v1/groups');
  }

  snapshots(group: string): Promise<SnapshotList> {
    return this.checked(SnapshotList, `/api/v1/groups/${encodeURIComponent(group)}/snapshots`);
  }

  snapshot(id: string): Promise<SnapshotSummary> {
    return this.checked(SnapshotSummary, `/api/v1/snapshots/${id}`);
  }

  /** The feed after `cursor` (null: from its start), waiting up to `waitSeconds` for a change. */
  changes(cursor: FeedCursor | null, waitSeconds: number): Promise<ChangesResponse> {
    const q = new URLSearchParams({ wait: String(waitSeconds) });
    if (cursor) {
      q.set('epoch', cursor.epoch);
      q.set('seq', String(cursor.seq));
    }
    return this.checked(ChangesResponse, `/api/v1/replication/changes?${q.toString()}`);
  }

  /** A snapshot's record as the source stored it (the caller checks its digest against the id). */
  async record(id: string): Promise<Buffer> {
    return readAll(await this.http.request('GET', `/api/v1/snapshots/${id}/record`));
  }

  /** Objects by digest as a frame stream, read through a snapshot the token may read. */
  objects(snapshot: string, digests: Buffer): Promise<http.IncomingMessage> {
    return this.http.request('POST', `/api/v1/snapshots/${snapshot}/objects`, digests, MEDIA_DIGESTS, MEDIA_FRAMES);
  }
}
