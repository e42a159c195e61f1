// How sd_notify datagrams leave this process. The native addon sends them itself (the kernel
// stamps havend's pid on them). Without the addon, `systemd-notify --pid=<our pid>` stands in:
// it may claim our pid in its credentials only with CAP_SYS_ADMIN, which the service keeps
// for disk and pool work, so NotifyAccess=main still accepts them.

import type { HavenAddon } from '../../../core/src/native/addon.js';
import { describeFailure, type CommandRunner } from '../../../core/src/exec/runner.js';
import type { NotifySend } from './sd-notify.js';

export function notifySend(addon: HavenAddon | null, runner: CommandRunner): NotifySend {
  return addon ? (socket, message) => addon.sdNotify(socket, message) : commandNotifySend(runner);
}

export function commandNotifySend(runner: CommandRunner, pid = process.pid): NotifySend {
  return async (socket, message) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: socket, LC_ALL: 'C' };
    const r = await runner.run('systemd-notify', [`--pid=${pid}`, ...message.split('\n')], { timeoutMs: 10_000, env });
    if (r.code !== 0) throw new Error(describeFailure(r));
  };
}
