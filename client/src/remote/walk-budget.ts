// What a client walk of a snapshot may cost, whoever built the snapshot. Trees and lists
// are content-addressed and shared, so a few objects can describe 2^40 paths (a directory
// whose entries all point at one subtree, forty levels down) or 2^32 chunks (a list of
// lists of one list): expanding them is how a hostile or broken server runs a client out
// of memory. Every walk counts what it expands against this budget and stops with a typed
// error (RESTORE_LIMIT, naming the flag that raises it) before memory grows past it; depth
// is bounded by the format's MAX_TREE_DEPTH (TREE_TOO_DEEP).

import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { MAX_TREE_DEPTH } from '../../../core/src/objects/tree.js';
import { UsageError } from '../../../core/src/cli/args.js';

export interface WalkLimits {
  /** Tree entries plus chunk references a walk may expand (measured: ~180 bytes each in a restore plan, ~120 in ls). */
  maxEntries: number;
  /** Bytes of file content a restore may write. */
  maxBytes: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxEntries: 10_000_000, maxBytes: 16 * 2 ** 40 };

export const LIMIT_FLAGS = {
  'max-entries': { type: 'string' },
  'max-bytes': { type: 'string' },
} as const;

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** "100000", "2T", "512GiB": a whole number with an optional binary unit. */
export function parseCount(text: string, flag: string, units = false): number {
  const m = /^(\d+)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined || (!units && m[2] !== '') || (!units && /b$/i.test(text.trim()))) {
    throw new UsageError(`${flag} takes a whole number${units ? ' with an optional unit (K, M, G, T, P)' : ''}, not ${JSON.stringify(text)}`);
  }
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive number below 2^53`);
  return n;
}

export function limitsFrom(values: { 'max-entries'?: string | undefined; 'max-bytes'?: string | undefined }): WalkLimits {
  return {
    maxEntries: values['max-entries'] === undefined ? DEFAULT_WALK_LIMITS.maxEntries : parseCount(values['max-entries'], '--max-entries'),
    maxBytes: values['max-bytes'] === undefined ? DEFAULT_WALK_LIMITS.maxBytes : parseCount(values['max-bytes'], '--max-bytes', true),
  };
}

export class WalkBudget {
  entries = 0;
  bytes = 0;

  constructor(readonly limits: WalkLimits = DEFAULT_WALK_LIMITS) {}

  /** Counts `n` more entries or chunk references; throws before the walk would hold more than allowed. */
  spendEntries(n: number): void {
    this.entries += n;
    if (this.entries > this.limits.maxEntries) {
      throw new HavenError('RESTORE_LIMIT', { limit: this.limits.maxEntries, what: 'entries and chunk references', flag: '--max-entries' });
    }
  }

  spendBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) throw new HavenError('RESTORE_LIMIT', { limit: this.limits.maxBytes, what: 'bytes of file content', flag: '--max-bytes' });
  }

  /** `depth` directory levels below the root (the root's own entries are at 0). */
  checkDepth(depth: number, tree: Uint8Array): void {
    if (depth > MAX_TREE_DEPTH) throw new HavenError('TREE_TOO_DEEP', { limit: MAX_TREE_DEPTH, digest: toHex(tree) });
  }
}
