import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { JSON_SCHEMAS } from '../../client/src/api/json-schemas.js';
import { exportJsonSchemas } from '../../client/src/api/json-schemas-export.js';
import { checkJson, type JsonSchema } from '../../core/src/json-check.js';
import { unsupportedKeywords } from '../helpers/json-schema-keywords.js';
import { SnapshotSummary } from '../../core/src/api/snapshots.js';

test('the exported JSON schemas are current with the TypeBox definitions', () => {
  assert.deepEqual(JSON_SCHEMAS, exportJsonSchemas(),
    'client/src/api/json-schemas.ts is stale: npm run build && node dist/client/src/api/json-schemas-export.js > client/src/api/json-schemas.ts');
});

test('the checker understands every keyword the schemas use, and agrees with TypeBox on samples', () => {
  assert.deepEqual(unsupportedKeywords(Object.values(JSON_SCHEMAS)), []);
  const good = {
    id: 'a'.repeat(64), group: 'g1', time: '2026-01-01T00:00:00.000Z', host: 'h', paths: ['p'], tags: [], root: 'b'.repeat(64),
    session: 's', stats: { files: 3 },
  };
  const samples: unknown[] = [
    good, { ...good, parent: 'c'.repeat(64) }, { ...good, id: 'short' }, { ...good, stats: { files: -1 } }, { ...good, stats: { files: 1.5 } },
    { ...good, paths: 'p' }, { ...good, group: '-bad' }, (({ root: _r, ...rest }) => rest)(good), null, [], { ...good, time: 5 },
  ];
  for (const v of samples) {
    assert.equal(checkJson(JSON_SCHEMAS.snapshot as JsonSchema, v) === null, Value.Check(SnapshotSummary, v), JSON.stringify(v));
  }
  assert.match(checkJson(JSON_SCHEMAS.profile as JsonSchema, { paths: ['a'], grup: 'x' }) ?? '', /grup is not allowed/);
  assert.match(checkJson(JSON_SCHEMAS.startBackup as JsonSchema, { session: 's' }) ?? '', /chunker is missing/);
});
