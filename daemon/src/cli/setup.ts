// `havend setup --data DIR [--user NAME]`: creates the first admin account from the console
// (DESIGN section 8), the alternative to the UI's setup code. The password comes on standard
// input (its first line), never as an argument: arguments show in `ps` and shell history.
// Works whether or not the daemon runs (LMDB is multi-process safe); spends the setup code.

import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '../../../core/src/api/wire-constants.js';
import { AccountStore } from '../accounts/accounts.js';
import { SetupCode } from '../accounts/setup-code.js';
import { loadConfig } from '../config/load.js';
import { openStateDb } from '../state/state-db.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';

async function firstLine(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export async function setupCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, user: { type: 'string' } });
  const user = values.user ?? 'admin';
  if (!new RegExp(USERNAME_PATTERN).test(user)) throw new UsageError(`--user ${user}: use 1-64 letters, digits and . _ @ -, starting with a letter or digit`);
  if (process.stdin.isTTY) process.stderr.write(`password for ${user} (at least ${PASSWORD_MIN_LENGTH} characters; it is echoed): `);
  const password = await firstLine(process.stdin);
  if (password.length < PASSWORD_MIN_LENGTH) throw new UsageError(`the password (first line of standard input) needs at least ${PASSWORD_MIN_LENGTH} characters`);
  const loaded = loadConfig(values.data !== undefined ? { flags: { dataDir: values.data } } : {});
  const state = openStateDb(loaded.config.dataDir);
  try {
    await new AccountStore(state).createFirstAdmin(user, password);
    new SetupCode(loaded.config.dataDir).consume();
    process.stdout.write(`admin account ${user} created\n`);
    return 0;
  } finally {
    await state.close();
  }
}
