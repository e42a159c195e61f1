// The warnings a commit hands the appliance to keep in the snapshot record: the first ones, each
// cut to the length the appliance takes (a path alone may be 4 KiB), so the admin reading the
// appliance later sees which files, and the `warnings` counter says how many there were in all.

import { WARNING_MAX_CHARS } from '../../../core/src/api/wire-constants.js';

export function warningsToKeep(warnings: readonly string[], kept: number): string[] {
  return warnings.slice(0, Math.max(0, kept)).map((w) => (w.length > WARNING_MAX_CHARS ? `${w.slice(0, WARNING_MAX_CHARS - 1)}…` : w));
}
