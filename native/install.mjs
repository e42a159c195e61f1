// Builds the addon during `npm install` (package.json "install" script). A failed build is
// not fatal: Haven then uses its TypeScript chunker and command fallbacks, and says so in
// one line. Under CI=true it is fatal, so CI always tests the native path.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// npm hands its bundled node-gyp to lifecycle scripts; elsewhere node-gyp must be on PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const log = join(here, 'build.log');
writeFileSync(log, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
if (r.status === 0) {
  console.log('haven: native addon built (native/build/Release/haven_native.node)');
} else {
  console.log(`haven: native addon build failed (see ${log}); the TypeScript chunker and command fallbacks will be used`);
  if (process.env.CI === 'true') process.exit(1);
}
