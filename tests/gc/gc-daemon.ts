// A real havend with backups, deletions and garbage collection driven over its API, for the
// GC crash, concurrency and space tests: backups of fresh plus shared content (so a deleted
// snapshot leaves both garbage and objects still referenced), and a collection started as a
// task and followed to its end.

import { randomBytes, randomInt } from 'node:crypto';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { GcStartResponse, GcSummary } from '../../core/src/api/gc.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { dirEntry, fileEntry, framesOf, makeObject, textLike, treeOf, type TestObject } from '../helpers/objects.js';

/** Small segments and a slow compaction, so a run has phases long enough to be interrupted. */
export const GC_TEST_ENV: NodeJS.ProcessEnv = {
  HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(1 << 20),
  HAVEND_GC_CRON: '',
  HAVEND_RETENTION_PRUNE_CRON: '',
};

/** A backup mixing `fresh` new files with the shared ones. */
export function mixedBackup(tag: number, shared: readonly TestObject[], fresh = 16): { objects: TestObject[]; root: TestObject } {
  const data: TestObject[] = [];
  for (let i = 0; i < fresh; i++) {
    const size = randomInt(4_000, 120_000);
    data.push(i % 4 === 0 ? makeObject(ObjectKind.data, textLike(size, tag * 1000 + i), true) : makeObject(ObjectKind.data, randomBytes(size)));
  }
  const sub = treeOf(data.map((c, i) => fileEntry(`f${i}`, [c])));
  const sharedTree = treeOf(shared.map((c, i) => fileEntry(`s${i}`, [c])));
  const root = treeOf([dirEntry(`b-${tag}`, sub), dirEntry('shared', sharedTree)]);
  return { objects: [...data, ...shared, sub, sharedTree, root], root };
}

/** One backup over the push protocol (data on two streams, then trees); answers the snapshot id. */
export async function pushBackup(api: ApiClient, group: string, b: { objects: TestObject[]; root: TestObject }): Promise<string> {
  const s = await api.startBackup({ group });
  const data = b.objects.filter((o) => o.kind === ObjectKind.data);
  await Promise.all([0, 1].map((p) => api.uploadFrames(s.session, framesOf(data.filter((_, i) => i % 2 === p)))));
  await api.uploadFrames(s.session, framesOf(b.objects.filter((o) => o.kind === ObjectKind.tree)));
  return (await api.commit(s.session, { root: toHex(b.root.digest) })).snapshot.id;
}

export async function startGc(admin: ApiClient): Promise<TaskInfo> {
  return (await admin.json<GcStartResponse>('POST', '/api/v1/gc')).task;
}

export async function task(admin: ApiClient, id: string): Promise<TaskInfo> {
  return admin.json<TaskInfo>('GET', `/api/v1/tasks/${id}`);
}

/** Polls a task until `until` holds or it ends; answers the last state seen. */
export async function followTask(admin: ApiClient, id: string, until: (t: TaskInfo) => boolean = () => false, timeoutMs = 120_000): Promise<TaskInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await task(admin, id);
    if (t.status !== 'running' || until(t)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} still running after ${timeoutMs} ms: ${t.progressMessage ?? ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A whole collection, waited for; its summary from the GC status history. */
export async function runGc(admin: ApiClient): Promise<GcSummary> {
  const started = await startGc(admin);
  const ended = await followTask(admin, started.id);
  if (ended.status !== 'succeeded') throw new Error(`gc ${ended.status}: ${ended.result ?? ''}`);
  // The run is recorded in the history as its task ends: allow it a moment.
  for (let i = 0; i < 50; i++) {
    const status = await admin.json<{ history: Array<{ task: string; summary: GcSummary | null }> }>('GET', '/api/v1/gc');
    const run = status.history.find((h) => h.task === started.id);
    if (run?.summary) return run.summary;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gc ${started.id} has no summary in the history`);
}
