import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import { configLeaves, loadConfig } from '../../daemon/src/config/load.js';
import { REPO } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

test('defaults, then file, then environment, then flags', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'havend.json');
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1', limits: { maxHasDigests: 10, maxStreamsPerSession: 3 } }));
  const { config, datastorePath } = loadConfig({
    file,
    env: { HAVEND_LIMITS_MAX_HAS_DIGESTS: '20', HAVEN_SERVER: 'ignored: the client variable' },
    flags: { dataDir: dir, listen: '127.0.0.1:2' },
  });
  assert.equal(config.listen, '127.0.0.1:2');
  assert.equal(config.limits.maxHasDigests, 20);
  assert.equal(config.limits.maxStreamsPerSession, 3);
  assert.equal(config.limits.maxFrameBytes, 9 * 1024 * 1024);
  assert.equal(datastorePath, join(dir, 'datastore'));
  assert.ok(Object.isFrozen(config.limits));
});

test('a bad value names the field and its source', (t) => {
  const dir = tempDir(t);
  const bad = (options: Parameters<typeof loadConfig>[0], pattern: RegExp): void => {
    assert.throws(() => loadConfig(options), (err: unknown) => err instanceof HavenError && err.code === 'CONFIG_INVALID' && pattern.test(err.message));
  };
  bad({ env: { HAVEND_LIMITS_MAX_FRAME_BYTES: 'lots' }, flags: { dataDir: dir } }, /limits\.maxFrameBytes .*HAVEND_LIMITS_MAX_FRAME_BYTES/);
  bad({ env: { HAVEND_NO_SUCH_THING: '1' }, flags: { dataDir: dir } }, /unknown environment variable HAVEND_NO_SUCH_THING/);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ datastore: { segmentMaxBytes: 5 } }));
  bad({ file, flags: { dataDir: dir } }, /datastore\.segmentMaxBytes \(from config file .*c\.json\)/);
  writeFileSync(file, JSON.stringify({ limits: { maxFrameByte: 5 } }));
  bad({ file, flags: { dataDir: dir } }, /limits\.maxFrameByte .*is not a known setting/);
  writeFileSync(file, '{ not json');
  bad({ file, flags: { dataDir: dir } }, /cannot read config file/);
  bad({ flags: { dataDir: dir, listen: 'nowhere' } }, /listen \(from command line\)/);
});

test('the README documents every setting and its variable', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const leaf of configLeaves()) {
    assert.ok(readme.includes(`| \`${leaf.path.join('.')}\` | \`${leaf.env}\` |`), `README lacks ${leaf.path.join('.')}`);
  }
});
