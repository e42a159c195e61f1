import { test } from 'node:test';
import { cliWorld } from '../helpers/haven-cli.js';
import { roundTripCase } from './core-client-cases.js';

test('backup and restore round-trip every file type with exact metadata', async (t) => {
  await roundTripCase(t, await cliWorld(t));
});
