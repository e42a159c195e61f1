// A daemon on a directory datastore without peers loads neither the S3 backend's AWS SDK, nor
// nodemailer, nor TypeBox's value checker at start, and a CLI subcommand loads none of them, nor
// the HTTP server, nor TypeBox at all: each is imported where it is first used (docs/ARCHITECTURE.md, "Start-up: what loads when"). The hook of resolved-modules.ts
// records what the real processes resolve.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { havend, startDaemon } from '../helpers/daemon.js';
import { moduleLog, modulesOfPackages } from '../helpers/resolved-modules.js';
import { tempDir } from '../helpers/tmp.js';

const LAZY = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@smithy/node-http-handler', 'nodemailer', 'typebox/build/value'];

test('havend serve on a directory datastore, and a CLI subcommand, load only what they use', async (t) => {
  const modules = moduleLog(t);
  const dataDir = tempDir(t);
  const daemon = await startDaemon(t, { dataDir, env: { ...modules.env, HAVEND_DISKS_DISCOVERY: 'false' } });
  const health = await fetch(`${daemon.url}/api/v1/health`);
  assert.equal(health.status, 200, 'the API answers');
  const served = modules.take();
  // The hook saw the start, or its silence about the SDK would prove nothing.
  for (const pkg of ['fastify', 'lmdb']) assert.ok(modulesOfPackages(served, [pkg]).length > 0, `the hook recorded ${pkg}`);
  assert.deepEqual(modulesOfPackages(served, LAZY), [], 'modules a directory-datastore start loaded');

  // a log of its own: the daemon's worker threads may still be starting, and what they load
  // is the daemon's
  const cliModules = moduleLog(t);
  const r = havend(['plan', 'list', '--data', dataDir], cliModules.env);
  assert.equal(r.code, 0, r.stderr);
  const cli = cliModules.take();
  assert.ok([...cli].some((u) => u.endsWith('/daemon/src/cli/plan.js')), 'the hook recorded the plan command');
  assert.deepEqual(modulesOfPackages(cli, [...LAZY, 'typebox', 'fastify', 'lmdb', 'piscina']), [], 'modules `havend plan list` loaded');
  await daemon.stop();
});
