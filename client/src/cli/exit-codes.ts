// Exit codes of the haven CLI, mapped from the error catalogue (core/src/errors.ts) so that
// scripts can tell "try again later" from "fix your token" from "your data is damaged".
// Listed in README.md; never renumber one.

import type { ErrorCode } from '../../../core/src/errors.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Completed, but some files were skipped or changed while read, or some metadata could not be applied. */
  warnings: 3,
  auth: 4,
  unreachable: 5,
  notFound: 6,
  targetNotEmpty: 7,
  damaged: 8,
  config: 9,
  applianceStorage: 10,
  /** The server's certificate does not match the pinned fingerprint, or is untrusted without a pin. */
  serverIdentity: 11,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: EXIT.usage,
  GROUP_INVALID: EXIT.usage,
  UNAUTHORIZED: EXIT.auth,
  FORBIDDEN: EXIT.auth,
  AUTH_RATE_LIMITED: EXIT.auth,
  SERVER_UNREACHABLE: EXIT.unreachable,
  RESPONSE_INVALID: EXIT.unreachable,
  SHUTTING_DOWN: EXIT.unreachable,
  SNAPSHOT_NOT_FOUND: EXIT.notFound,
  SNAPSHOT_AMBIGUOUS: EXIT.notFound,
  PATH_NOT_FOUND: EXIT.notFound,
  OBJECT_NOT_FOUND: EXIT.damaged,
  NOT_A_FILE: EXIT.notFound,
  SESSION_NOT_FOUND: EXIT.notFound,
  TARGET_NOT_EMPTY: EXIT.targetNotEmpty,
  OBJECT_CORRUPT: EXIT.damaged,
  OBJECT_UNDECODABLE: EXIT.damaged,
  CHECK_FAILED: EXIT.damaged,
  TREE_TOO_DEEP: EXIT.damaged,
  DIGEST_MISMATCH: EXIT.damaged,
  MISSING_OBJECTS: EXIT.damaged,
  OBJECTS_DAMAGED: EXIT.damaged,
  STORE_CORRUPT: EXIT.damaged,
  CLIENT_NOT_CONFIGURED: EXIT.config,
  PROFILE_INVALID: EXIT.config,
  SOURCE_UNREADABLE: EXIT.config,
  TARGET_UNUSABLE: EXIT.config,
  WATCH_UNAVAILABLE: EXIT.config,
  STORAGE_FULL: EXIT.applianceStorage,
  STATE_FULL: EXIT.applianceStorage,
  STORAGE_IO: EXIT.applianceStorage,
  STORAGE_BACKEND_UNAVAILABLE: EXIT.applianceStorage,
  TLS_FINGERPRINT_MISMATCH: EXIT.serverIdentity,
  TLS_UNTRUSTED: EXIT.serverIdentity,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? EXIT.failure;
}
