import { test } from 'node:test';
import { cliWorld } from '../helpers/haven-cli.js';
import { incrementalCase } from './core-client-cases.js';

test('after changing 5% of the files, the next backup reads and uploads only those (session stats)', async (t) => {
  await incrementalCase(t, await cliWorld(t));
});
