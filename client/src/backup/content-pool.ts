// The content workers as a pool: jobs of files out, chunk digests back.

import { WorkerPool } from '../workers/worker-pool.js';
import type { ContentSummary, ContentWorkerData, FileJob, FileResult } from './content-messages.js';

export type ContentPool = WorkerPool<FileJob, FileResult[], ContentSummary>;

/**
 * A content worker's young generation, MiB (V8 splits it into two semi-spaces and a large-object
 * space: 3 gives 1 MiB semi-spaces). Its objects are few and short-lived (its data is in
 * buffers outside the heap), yet V8 grew the semi-spaces to 16 MiB each, ~30 MiB of resident
 * heap per worker holding nothing (docs/PERFORMANCE.md "The client's peak RSS at 2x restic").
 */
const YOUNG_GENERATION_MB = 3;

export function startContentPool(count: number, data: ContentWorkerData): ContentPool {
  return new WorkerPool(new URL('./content-worker.js', import.meta.url), count, data, undefined, { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB });
}
