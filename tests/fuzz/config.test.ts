// The config loader (daemon/src/config/load.ts) under arbitrary files and environments:
// it loads a valid, frozen configuration or refuses with CONFIG_INVALID naming the field;
// no other error, no change to anything but its result (no prototype pollution through a
// "__proto__" key of the file), and the environment always wins over the file.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { ConfigSchema } from '../../daemon/src/config/schema.js';
import { configLeaves, loadConfig, type ConfigLeaf } from '../../daemon/src/config/load.js';
import { tempDir } from '../helpers/tmp.js';
import { bounded, fuzzParams, testTimeout, typedOutcome } from './runs.js';

const leaves = configLeaves();
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** A value for a leaf: mostly of its type (at and beyond its bounds), sometimes anything at all. */
function leafValueArb(leaf: ConfigLeaf): fc.Arbitrary<unknown> {
  const typed: Record<string, fc.Arbitrary<unknown>> = {
    integer: fc.oneof(fc.integer(), fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 1, -1, 2 ** 53, 1.5, 1e308)),
    number: fc.oneof(fc.double({ noNaN: true }), fc.integer()),
    boolean: fc.boolean(),
    string: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '127.0.0.1:0', '[::1]:8420', 'debug', '0 3 * * 0', '/tmp')),
  };
  const own = leaf.schema.type !== undefined ? typed[leaf.schema.type] : undefined;
  return own ? fc.oneof({ weight: 4, arbitrary: own }, fc.jsonValue({ maxDepth: 2 })) : fc.jsonValue({ maxDepth: 2 });
}

/** A config file's object: some real settings, some unknown or hostile keys, at any level. */
const fileArb: fc.Arbitrary<Record<string, unknown>> = fc.tuple(
  fc.subarray(leaves, { maxLength: 6 }).chain((picked) => fc.tuple(...picked.map((l) => leafValueArb(l).map((v) => [l.path, v] as const)))),
  fc.array(fc.tuple(fc.constantFrom([], ...[...new Set(leaves.filter((l) => l.path.length > 1).map((l) => l.path[0] as string))].map((p) => [p])),
    fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
).map(([settings, extras]) => {
  // Object.defineProperty: a "__proto__" key must be an own key, as JSON.parse makes it
  const root: Record<string, unknown> = {};
  const put = (obj: Record<string, unknown>, key: string, v: unknown): void => {
    Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  };
  const objAt = (path: readonly string[]): Record<string, unknown> => {
    let node = root;
    for (const p of path) {
      const child = Object.hasOwn(node, p) ? node[p] : undefined;
      if (typeof child !== 'object' || child === null || Array.isArray(child)) put(node, p, {});
      node = node[p] as Record<string, unknown>;
    }
    return node;
  };
  for (const [path, v] of settings) put(objAt(path.slice(0, -1)), path[path.length - 1] as string, v);
  for (const [at, key, v] of extras) put(objAt(at), key, typeof v === 'object' && v !== null ? v : { polluted: v });
  return root;
});

const envArb: fc.Arbitrary<Record<string, string>> = fc.tuple(
  fc.subarray(leaves, { maxLength: 4 }).chain((picked) => fc.tuple(...picked.map((l) => fc.oneof(
    leafValueArb(l).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')),
    fc.string({ maxLength: 20 }),
  ).map((v) => [l.env, v] as const)))),
  fc.option(fc.constantFrom('HAVEND_', 'HAVEND_NOPE', 'HAVEND___PROTO__', 'HAVEND_LIMITS'), { nil: undefined }),
).map(([pairs, unknown]) => {
  const env: Record<string, string> = { HOME: '/root', HAVEN_SERVER: 'client variables are ignored' };
  for (const [k, v] of pairs) env[k] = v;
  if (unknown !== undefined) env[unknown] = '1';
  return env;
});

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype];
const builtIn = PROTOTYPES.map((p) => new Set(Object.getOwnPropertyNames(p)));

/**
 * Keys a case added to a built-in prototype. They are removed again at once, so that one
 * polluting case does not fail every later one (and fast-check shrinks to the real culprit).
 */
function pollution(): string[] {
  return PROTOTYPES.flatMap((p, i) => Object.getOwnPropertyNames(p).filter((k) => !builtIn[i]?.has(k)).map((k) => {
    delete (p as Record<string, unknown>)[k];
    return k;
  }));
}

test('config loader fuzz: a valid frozen config or CONFIG_INVALID, and nothing else changes', { timeout: testTimeout() }, (t) => {
  const dir = tempDir(t, 'haven-fuzz-config-');
  const file = join(dir, 'havend.json');
  fc.assert(fc.property(fileArb, envArb, (content, env) => {
    writeFileSync(file, JSON.stringify(content));
    const out = bounded('loadConfig', () => typedOutcome(['CONFIG_INVALID'], () => loadConfig({ file, env, flags: { dataDir: dir } })));
    assert.deepEqual(pollution(), [], 'the config file reached a built-in prototype');
    if ('error' in out) {
      assert.match(out.error.message, /^Invalid configuration: /);
      return;
    }
    const { config } = out.value;
    assert.ok(Value.Check(ConfigSchema, config), 'what loads satisfies the schema');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits), 'the result is frozen');
  }), fuzzParams());
});

test('config loader fuzz: a file that is not JSON, or not an object, is CONFIG_INVALID', { timeout: testTimeout() }, (t) => {
  const dir = tempDir(t, 'haven-fuzz-config-');
  const file = join(dir, 'havend.json');
  const text = fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''), fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')));
  fc.assert(fc.property(text, (raw) => {
    writeFileSync(file, raw);
    bounded('loadConfig', () => typedOutcome(['CONFIG_INVALID'], () => loadConfig({ file, env: {}, flags: { dataDir: dir } })));
    assert.deepEqual(pollution(), []);
  }), fuzzParams());
});
