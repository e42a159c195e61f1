// What a person reads when a call fails: the catalogue's codes mapped to plain advice. Codes
// without an entry show the server's own message, which is already written for people.

import type { ErrorCode } from '$core/errors.js';
import { ApiError } from './api/http.js';

const ADVICE: Partial<Record<ErrorCode | 'NETWORK', string>> = {
  NETWORK: 'The appliance cannot be reached. Check the network; this page retries on its own.',
  UNAUTHORIZED: 'Your session has ended. Sign in again.',
  FORBIDDEN: 'Your account may not do this.',
  LOGIN_FAILED: 'Wrong user name or password.',
  SETUP_CODE_INVALID: 'That is not the setup code havend printed. Check the console or the file named next to it.',
  SETUP_DONE: 'The appliance already has an admin account. Sign in instead.',
  STORAGE_FULL: 'The datastore is full.',
  SNAPSHOT_PROTECTED: 'This snapshot is protected. Unprotect it before deleting it.',
  INTERNAL: 'Something went wrong on the appliance.',
};

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'RATE_LIMITED' || err.code === 'VALIDATION_FAILED') return err.message;
    const advice = ADVICE[err.code];
    return advice ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
