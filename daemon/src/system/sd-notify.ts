// The systemd notification protocol for Type=notify (after zigbee2mqtt's lib/util/sd-notify.ts):
// READY=1 once serving, WATCHDOG=1 every half of WATCHDOG_USEC, STOPPING=1 when shutdown
// begins, and silence when NOTIFY_SOCKET is unset (not started by systemd). Datagrams leave
// from this very process (the native addon's sdNotify), so their credentials carry the main
// pid, as NotifyAccess=main requires.

import type { Logger } from 'pino';

/** Sends one datagram to the notify socket (a path, or '@name' for the abstract namespace). */
export type NotifySend = (socket: string, message: string) => void | Promise<void>;

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  log: Pick<Logger, 'warn' | 'debug'>;
}

export class SystemdNotifier {
  private readonly socket: string | null;
  private readonly watchdogMs: number | null;
  private timer: NodeJS.Timeout | null = null;
  private failed = false;

  constructor(private readonly send: NotifySend | null, private readonly options: NotifierOptions) {
    const env = options.env ?? process.env;
    const pid = options.pid ?? process.pid;
    this.socket = env.NOTIFY_SOCKET || null;
    const usec = Number(env.WATCHDOG_USEC);
    // systemd names the process the watchdog is for; another process's watchdog is not ours.
    const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === '' || Number(env.WATCHDOG_PID) === pid;
    this.watchdogMs = Number.isFinite(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : null;
  }

  /** True when systemd waits for our notifications. */
  get enabled(): boolean {
    return this.socket !== null;
  }

  /** The interval at which WATCHDOG=1 is sent, or null when no watchdog is configured. */
  get watchdogIntervalMs(): number | null {
    return this.socket === null ? null : this.watchdogMs;
  }

  ready(status?: string): void {
    this.notify(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
    const every = this.watchdogIntervalMs;
    if (every !== null && this.timer === null) {
      // Sent from the event loop, so a stalled loop stops the heartbeat and systemd restarts us.
      this.timer = setInterval(() => this.notify('WATCHDOG=1'), every);
      this.timer.unref();
    }
  }

  stopping(status?: string): void {
    this.stopWatchdog();
    this.notify(status ? `STOPPING=1\nSTATUS=${status}` : 'STOPPING=1');
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private notify(message: string): void {
    if (this.socket === null) return;
    if (this.send === null) {
      this.warnOnce(new Error('no way to send datagrams (native addon missing)'));
      return;
    }
    try {
      const sent = this.send(this.socket, message);
      if (sent) sent.catch((err: unknown) => this.warnOnce(err));
      this.options.log.debug({ message }, 'sd_notify');
    } catch (err) {
      this.warnOnce(err);
    }
  }

  private warnOnce(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.options.log.warn({ err, socket: this.socket }, 'cannot notify systemd; a Type=notify unit will time out');
  }
}
