// The configuration is checked against a plain-JSON copy of its TypeBox schema, so a CLI
// subcommand need not load TypeBox (daemon/src/config/config-schema-export.ts). The copy must be
// current and use only what core/src/json-check.ts understands; tests/fuzz/config.test.ts checks
// that what loads satisfies the TypeBox schema.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportConfigSchema } from '../../daemon/src/config/config-schema-export.js';
import { CONFIG_SCHEMA } from '../../daemon/src/config/config-schema-json.js';
import { unsupportedKeywords } from '../helpers/json-schema-keywords.js';

test('the JSON copy of the configuration schema is current with its TypeBox definition', () => {
  assert.deepEqual(CONFIG_SCHEMA, exportConfigSchema(),
    'daemon/src/config/config-schema-json.ts is stale: npm run build && node dist/daemon/src/config/config-schema-export.js > daemon/src/config/config-schema-json.ts');
});

test('the checker understands every keyword the configuration schema uses', () => {
  assert.deepEqual(unsupportedKeywords(CONFIG_SCHEMA), []);
});
