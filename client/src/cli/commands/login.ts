// haven login URL --token T [--fingerprint F]: checks the server and the token, then saves them.

import { ApiClient } from '../../api/api-client.js';
import { parse, required, UsageError } from '../../../../core/src/cli/args.js';
import { normalizeFingerprint } from '../../../../core/src/tls/fingerprint.js';
import { requestTimeouts, saveConfig, type SavedConfig } from '../client-config.js';
import { JSON_FLAG, type CommandContext } from '../context.js';

export async function loginCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, token: { type: 'string' }, fingerprint: { type: 'string' } }, true);
  const server = positionals[0];
  if (!server || positionals.length > 1) throw new UsageError('usage: haven login URL --token T [--fingerprint F]');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`${server} is not a URL (e.g. https://haven.local:8420)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('the server URL must be http:// or https://');
  const config: SavedConfig = { server: url.origin, token: required(values.token, '--token') };
  if (values.fingerprint !== undefined) {
    const pin = normalizeFingerprint(values.fingerprint);
    if (pin === null) throw new UsageError('--fingerprint is the SHA-256 of the certificate (32 bytes of hex, as `havend info` prints it)');
    config.fingerprint = pin;
  }
  const api = new ApiClient({ ...config, timeouts: requestTimeouts(ctx.env) });
  try {
    const health = await api.health();
    const groups = await api.groups(); // proves the token
    const path = saveConfig(config, ctx.env);
    ctx.out.result({ server: config.server, datastore: health.datastore, version: health.version, groups: groups.groups.map((g) => g.name), config: path }, () => [
      `logged in to ${config.server} (havend ${health.version}); saved to ${path}`,
    ]);
  } finally {
    api.close();
  }
  return 0;
}
