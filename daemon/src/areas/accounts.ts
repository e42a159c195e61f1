// The accounts area: API tokens, admin accounts, browser sessions and the first-run setup
// code. It owns the hourly sweep that deletes expired browser sessions from the state database
// (a session is refused once expired anyway; the sweep only keeps the table small).

import type { Logger } from 'pino';
import { AccountStore } from '../accounts/accounts.js';
import { SetupCode } from '../accounts/setup-code.js';
import { WebSessions } from '../accounts/web-sessions.js';
import { TokenStore } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { StateDb } from '../state/state-db.js';
import { repeat, type Repeating } from './repeat.js';

const SWEEP_EVERY_MS = 3600_000;

export interface AccountsAreaDeps {
  state: StateDb;
  dataDir: string;
  clock: Clock;
  log: Pick<Logger, 'warn'>;
}

export function accountsArea(deps: AccountsAreaDeps) {
  const { state, clock, log } = deps;
  const tokens = new TokenStore(state);
  const accounts = new AccountStore(state);
  const webSessions = new WebSessions(state, () => clock.now());
  const setupCode = new SetupCode(deps.dataDir);
  let sweep: Repeating | null = null;

  return {
    name: 'accounts',
    tokens, accounts, webSessions, setupCode,
    /** The one-time code that creates the first admin; null once an admin exists. */
    setupCodeValue: setupCode.open(accounts.any()),
    start(): void {
      sweep = repeat(clock, SWEEP_EVERY_MS, () => webSessions.sweep(), (err) => log.warn({ err }, 'session sweep failed'));
    },
    async stop(): Promise<void> {
      await sweep?.stop();
    },
  };
}
