// `havend token create|list|revoke --data DIR`: works offline, with or without a running daemon.

import { loadConfig } from '../config/load.js';
import { TokenStore } from '../auth/tokens.js';
import { openStateDb } from '../state/state-db.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';

export async function tokenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    data: { type: 'string' },
    scope: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
  }, true);
  const loaded = loadConfig(values.data !== undefined ? { flags: { dataDir: values.data } } : {});
  const state = openStateDb(loaded.config.dataDir);
  try {
    const tokens = new TokenStore(state);
    switch (sub) {
      case 'create': {
        const scope = required(values.scope, '--scope');
        const { token } = await tokens.create(values.name ?? scope, scope);
        // Only the token on stdout, so scripts can capture it.
        process.stdout.write(`${token}\n`);
        return 0;
      }
      case 'list': {
        const list = tokens.list();
        if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        else for (const t of list) process.stdout.write(`${t.id}  ${t.scopes.join(',').padEnd(24)} ${t.name}  created ${t.created}  last used ${t.lastUsed ?? 'never'}\n`);
        return 0;
      }
      case 'revoke': {
        await tokens.revoke(required(positionals[0], 'token id'));
        return 0;
      }
      default:
        throw new UsageError('usage: havend token create|list|revoke --data DIR ...');
    }
  } finally {
    await state.close();
  }
}
