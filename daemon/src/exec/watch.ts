// Long-running commands whose output is a stream of lines (`udevadm monitor`): the same rules
// as core/src/exec/runner.ts (argument arrays, never a shell string), but the caller gets
// each line as it comes and stops the command when it is done with it.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Watch {
  stop(): void;
}

export interface CommandWatcher {
  /** `onExit` is called once if the command ends by itself (or cannot start). */
  watch(command: string, args: readonly string[], onLine: (line: string) => void, onExit: (reason: string) => void): Watch;
}

export class SystemCommandWatcher implements CommandWatcher {
  watch(command: string, args: readonly string[], onLine: (line: string) => void, onExit: (reason: string) => void): Watch {
    let stopped = false;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (l) => {
      if (!stopped) onLine(l);
    });
    let reported = false;
    const report = (reason: string): void => {
      if (reported || stopped) return;
      reported = true;
      onExit(reason);
    };
    child.on('error', (e) => report(`${command}: ${e.message}`));
    child.on('exit', (code, signal) => report(`${command} exited (${code ?? signal})`));
    return {
      stop: () => {
        stopped = true;
        lines.close();
        child.kill('SIGTERM');
      },
    };
  }
}
