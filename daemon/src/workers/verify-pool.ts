// The verification pool: piscina threads running verify-worker.ts over shared arenas.

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ArenaPool } from './arena-pool.js';
import type { VerifyResult, VerifyTask } from './verify-task.js';

export interface VerifyPool {
  verify(task: VerifyTask): Promise<VerifyResult>;
  readonly arenas: ArenaPool;
  readonly threads: number;
  close(): Promise<void>;
}

export interface VerifyPoolOptions {
  threads?: number;
  /** Size of a standard arena (a batch of small objects, or a few large ones). */
  arenaBytes?: number;
}

export function createVerifyPool(options: VerifyPoolOptions = {}): VerifyPool {
  const n = options.threads && options.threads > 0 ? options.threads : availableParallelism();
  const arenaBytes = options.arenaBytes ?? 4 * 1024 * 1024;
  const pool = new Piscina({
    filename: new URL('./verify-entry.cjs', import.meta.url).href,
    minThreads: n,
    maxThreads: n,
    idleTimeout: 60_000,
  });
  return {
    threads: n,
    // Four arenas per thread keep every thread busy while others are being filled or written.
    arenas: new ArenaPool(arenaBytes, n * 4 + 4),
    verify: (task) => pool.run(task) as Promise<VerifyResult>,
    close: () => pool.destroy(),
  };
}
