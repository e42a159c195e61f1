// The smartctl JSON parser (daemon/src/disks/smart) seeded with the real captures under
// ../shared/fixtures/smart: damaged text, and well-formed JSON whose values were swapped
// for anything else, parse to a record (and a verdict) or fail with SMART_CAPTURE_INVALID.
// Exact integers survive: a capture re-serialized parses to the same record.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseExactJson, type ExactJson } from '../../daemon/src/disks/smart/exact-json.js';
import { parseSmartctlJson, type ParsedCapture } from '../../daemon/src/disks/smart/smart-parser.js';
import { assess } from '../../daemon/src/disks/smart/verdict.js';
import { bounded, fuzzParams, mutate, mutationsArb, testTimeout, typedOutcome } from './runs.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));
const captures = [FIXTURES, join(FIXTURES, 'qemu')].flatMap((dir) =>
  readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(dir, f), 'utf8')));

function parseAndAssess(text: string): ParsedCapture | { error: unknown } {
  const out = bounded('parse', () => typedOutcome(['SMART_CAPTURE_INVALID'], () => parseSmartctlJson(text)));
  if ('error' in out) return out;
  if (out.value.kind === 'device') {
    const verdict = assess(out.value.record, { counters: { 'ata.5': 1 }, at: 0 }, 86_400_000);
    assert.equal(typeof verdict.verdict, 'string');
  }
  return out.value;
}

/** JSON text of an exact value (bigints as their digits). */
function stringify(v: ExactJson): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${stringify(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Every path to a value inside a capture. */
function paths(v: ExactJson, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function replaceAt(v: ExactJson, path: ReadonlyArray<string | number>, by: ExactJson): ExactJson {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaceAt(x, rest, by) : x));
  if (typeof v === 'object' && v !== null) {
    const out: { [k: string]: ExactJson } = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: k === head ? replaceAt(x, rest, by) : x, enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

const exactValueArb: fc.Arbitrary<ExactJson> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<ExactJson>,
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.constantFrom<ExactJson>(null, '', '9023116403587028', '27 (Min/Max 8/37)', '51540393996', '-1', 2 ** 53, -0, 1e308, 'in progress', { value: 240, string: '' }, []),
  fc.string({ maxLength: 40 }),
);

test('smartctl fuzz: the captures parse, and re-serialized they parse to the same record', { timeout: testTimeout() }, () => {
  for (const text of captures) {
    const once = parseAndAssess(text);
    assert.ok(!('error' in once), 'a real capture parses');
    assert.deepEqual(parseAndAssess(stringify(parseExactJson(text))), once);
  }
});

test('smartctl fuzz: damaged captures give a record or SMART_CAPTURE_INVALID', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(fc.constantFrom(...captures), fc.array(mutationsArb, { minLength: 1, maxLength: 3 }), (text, rounds) => {
    const damaged = Buffer.from(mutate(Buffer.from(text), rounds.flat())).toString('utf8');
    parseAndAssess(damaged);
  }), fuzzParams());
});

test('smartctl fuzz: any value anywhere in a capture gives a record or SMART_CAPTURE_INVALID', { timeout: testTimeout() }, () => {
  const parsed = captures.map((c) => parseExactJson(c));
  const caseArb = fc.constantFrom(...parsed).chain((root) => fc.tuple(
    fc.constant(root),
    fc.array(fc.tuple(fc.constantFrom(...paths(root)), exactValueArb), { minLength: 1, maxLength: 4 }),
  ));
  fc.assert(fc.property(caseArb, ([root, swaps]) => {
    const changed = swaps.reduce((v, [path, by]) => replaceAt(v, path, by), root);
    parseAndAssess(stringify(changed));
  }), fuzzParams());
});

test('smartctl fuzz: arbitrary text and deep nesting give SMART_CAPTURE_INVALID or a record', { timeout: testTimeout() }, () => {
  const textArb = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
    fc.nat({ max: 100_000 }).map((n) => '['.repeat(n)),
    fc.nat({ max: 5_000 }).map((n) => `{"smartctl":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
    fc.string({ maxLength: 50 }).map((s) => `{"model_name":"${s}"}`),
  );
  fc.assert(fc.property(textArb, (text) => {
    parseAndAssess(text);
  }), fuzzParams());
});
