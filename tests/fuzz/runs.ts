// One place that decides how hard the fuzz properties run: a few hundred cases each in
// `npm test` (the whole directory well under 30 s), HAVEN_FUZZ_RUNS cases under
// `npm run fuzz`. fast-check prints the seed and the shrunk counterexample of a failure;
// replay one with HAVEN_FUZZ_SEED=<seed> HAVEN_FUZZ_PATH=<path> and --test-name-pattern.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HavenError, isErrorCode, type ErrorCode } from '../../core/src/errors.js';

const DEFAULT_RUNS = 200;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** Cases per property: HAVEN_FUZZ_RUNS, else the suite's default scaled by `weight` (costly targets run fewer). */
export function fuzzRuns(weight = 1): number {
  const runs = envInt('HAVEN_FUZZ_RUNS');
  return Math.max(1, Math.round((runs ?? DEFAULT_RUNS) * weight));
}

/** Whether this is `npm run fuzz` (its timeouts are longer). */
export const longFuzz = envInt('HAVEN_FUZZ_RUNS') !== undefined;

/** A node:test timeout for one fuzz test: a hang fails the test instead of stalling the suite. */
export function testTimeout(weight = 1): number {
  return longFuzz ? Math.max(60_000, fuzzRuns(weight) * 50) : 60_000;
}

/** Parameters for fc.assert: the run count, and a replayable seed when one is given. */
export function fuzzParams<T>(weight = 1): fc.Parameters<T> {
  // fast-check's seeds are any 32-bit integer, negative ones too
  const rawSeed = process.env.HAVEN_FUZZ_SEED;
  const seed = rawSeed ? Number(rawSeed) : undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`HAVEN_FUZZ_SEED must be an integer, got ${rawSeed}`);
  const path = process.env.HAVEN_FUZZ_PATH;
  return {
    numRuns: fuzzRuns(weight),
    ...(seed !== undefined ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * A single case's bound: the parsers are linear in their input, so even a large case ends
 * in milliseconds. A case this slow is a hang (or a blow-up), whatever the machine's load.
 */
export const CASE_LIMIT_MS = 5_000;

/** Runs `fn` and fails when it took longer than CASE_LIMIT_MS. */
export function bounded<T>(what: string, fn: () => T): T {
  const start = performance.now();
  const out = fn();
  const took = performance.now() - start;
  assert.ok(took < CASE_LIMIT_MS, `${what} took ${Math.round(took)} ms (bound ${CASE_LIMIT_MS} ms): a hang`);
  return out;
}

/** The async form of bounded(). */
export async function boundedAsync<T>(what: string, fn: () => Promise<T>, limitMs = CASE_LIMIT_MS): Promise<T> {
  const start = performance.now();
  const out = await fn();
  const took = performance.now() - start;
  assert.ok(took < limitMs, `${what} took ${Math.round(took)} ms (bound ${limitMs} ms): a hang`);
  return out;
}

/**
 * The typed-errors property: `fn` returns, or throws a HavenError whose code is in the
 * catalogue and among `allowed`. Anything else (a TypeError, a RangeError, a plain Error)
 * is rethrown so that fast-check reports it with its seed.
 */
export function typedOutcome<T>(allowed: readonly ErrorCode[], fn: () => T): { value: T } | { error: HavenError } {
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof HavenError && isErrorCode(err.code) && allowed.includes(err.code)) return { error: err };
    throw err;
  }
}

/** typedOutcome for an error class of a lower layer (the msgpack decoder's MsgpackError). */
export function classOutcome<T, E extends Error>(errorClass: new (...args: never[]) => E, fn: () => T): { value: T } | { error: E } {
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof errorClass && err.constructor === errorClass) return { error: err };
    throw err;
  }
}

/** Flips, truncations and extensions of valid encodings: what a damaged or hostile input looks like. */
export type Mutation =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'extend'; bytes: Uint8Array }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xcf, 0xd3, 0xdb, 0xdd, 0xdf, 0xff) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Applies mutations in order (positions wrap around the current length). */
export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const pos = (at: number): number => (b.length === 0 ? 0 : at % b.length);
  for (const m of mutations) {
    switch (m.op) {
      case 'flip': if (b.length > 0) b[pos(m.at)] = (b[pos(m.at)] as number) ^ m.mask; break;
      case 'set': if (b.length > 0) b[pos(m.at)] = m.byte; break;
      case 'truncate': b = b.slice(0, pos(m.at)); break;
      case 'extend': b = concat(b, m.bytes); break;
      case 'insert': b = concat(b.subarray(0, pos(m.at)), m.bytes, b.subarray(pos(m.at))); break;
      case 'delete': b = concat(b.subarray(0, pos(m.at)), b.subarray(pos(m.at) + m.count)); break;
    }
  }
  return b;
}

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

/** A small ordered list of integers: positions where a stream is cut into chunks. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}
