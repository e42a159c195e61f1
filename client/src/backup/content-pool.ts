// The content workers as a pool: jobs of files out, chunk digests back.

import { WorkerPool } from '../workers/worker-pool.js';
import type { ContentSummary, ContentWorkerData, FileJob, FileResult } from './content-messages.js';

export type ContentPool = WorkerPool<FileJob, FileResult[], ContentSummary>;

export function startContentPool(count: number, data: ContentWorkerData): ContentPool {
  return new WorkerPool(new URL('./content-worker.js', import.meta.url), count, data);
}
