import pino from 'pino';
import { setupCodePath } from '../accounts/setup-code.js';
import { startApp } from '../app.js';
import { isStateWriteFailure } from '../state/state-db.js';
import { loadConfig } from '../config/load.js';
import { SystemCommandRunner } from '../../../core/src/exec/runner.js';
import { addonOrFallback } from '../../../core/src/native/addon.js';
import { notifySend } from '../system/notify-transport.js';
import { SystemdNotifier } from '../system/sd-notify.js';
import { VERSION } from '../../../core/src/version.js';
import { parse } from '../../../core/src/cli/args.js';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    listen: { type: 'string' },
  });
  const flags: Record<string, unknown> = {};
  if (values.data !== undefined) flags.dataDir = values.data;
  if (values.listen !== undefined) flags.listen = values.listen;
  const loaded = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), flags });
  const log = pino({ level: loaded.config.log.level, base: { pid: process.pid } });
  // Only a daemon started by systemd needs the addon here; elsewhere its absence is no news.
  const addon = process.env.NOTIFY_SOCKET ? addonOrFallback() : null;
  const notifier = new SystemdNotifier(notifySend(addon, new SystemCommandRunner()), { log });
  // Signals are caught from here on: one that arrives while starting (or right after "serving
  // on" is printed) shuts down cleanly once the app is up, instead of killing the process.
  let requested: string | null = null;
  let onSignal = (signal: string): void => {
    requested ??= signal;
  };
  // A state database write nobody waited for, refused or failed because the state directory's
  // file system is full or failing, must not end the daemon (backups and restores go on; the
  // write was a copy for the next start). Any other unhandled rejection still does.
  process.on('unhandledRejection', (reason) => {
    if (!isStateWriteFailure(reason)) throw reason;
    log.error({ err: reason }, 'a state database write failed (is the state directory\'s file system full?)');
  });
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const app = await startApp(loaded, log);
  // One write, so whoever waits for the "serving on" line finds the setup code beside it.
  const setupLine = app.setupCode === null ? '' :
    `havend setup code: ${app.setupCode} (open ${app.urls[0] ?? app.url} to create the admin account; also in ${setupCodePath(loaded.config.dataDir)})\n`;
  process.stdout.write(`havend ${VERSION} serving on ${app.url} (state ${loaded.config.dataDir}, datastore ${app.store.root})\n${setupLine}`);
  if (app.tls) {
    process.stdout.write(`reachable at ${app.urls.join(' ')}\nTLS certificate fingerprint (SHA-256): ${app.tls.fingerprint}\n`);
  }
  notifier.ready(`serving on ${app.urls.join(' ')}`);

  return new Promise((resolveExit) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      notifier.stopping('shutting down');
      log.info({ signal }, 'shutting down');
      app.close().then(
        () => resolveExit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolveExit(1);
        },
      );
    };
    onSignal = stop;
    if (requested !== null) stop(requested);
  });
}
