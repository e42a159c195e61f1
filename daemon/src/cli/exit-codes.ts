// Exit codes of the havend CLI, mapped from the error catalogue (core/src/errors.ts) so that
// install scripts and monitoring can tell "fix the command" from "start the daemon first"
// from "something is wrong". Listed in README.md; never renumber one.

import type { ErrorCode } from '../../../core/src/errors.js';

export const EXIT = {
  ok: 0,
  /**
   * The command ran and found a problem (store check, an unhealthy pool, info --wait without
   * an answer), the task it followed failed, or any error not listed below.
   */
  failure: 1,
  /** Bad arguments, or a configuration that does not validate. */
  usage: 2,
  /**
   * A command that works through the running daemon's control socket found none.
   * 3 is what an LSB init script's `status` answers for "program is not running".
   */
  daemonNotRunning: 3,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: EXIT.usage,
  REPORT_PERIOD_INVALID: EXIT.usage,
  DAEMON_NOT_RUNNING: EXIT.daemonNotRunning,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? EXIT.failure;
}
