// Admin accounts and browser sessions (DESIGN section 8): first-run setup with a one-time
// code, password login, a session cookie, logout. API tokens (tokens.ts) serve the CLI.

import { Type, type Static } from 'typebox';
import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from './wire-constants.js';

export { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from './wire-constants.js';

/** The session cookie's name; httpOnly, SameSite=Strict, Secure over HTTPS. */
export const SESSION_COOKIE = 'haven_session';

export const Username = Type.String({ pattern: USERNAME_PATTERN });
/** Long passphrases are welcome; the upper bound only caps the work of hashing one. */
export const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 1024 });


export const SetupRequest = Type.Object(
  {
    /** The one-time code havend printed on first start (also in <state>/setup-code). */
    code: Type.String({ minLength: 1, maxLength: 64 }),
    username: Username,
    password: Password,
  },
  { additionalProperties: false },
);
export type SetupRequest = Static<typeof SetupRequest>;

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

/** Who the caller is (GET /auth/session, and the answer to setup and login). */
export const SessionUser = Type.Object({
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  /** How the caller authenticated. */
  via: Type.Union([Type.Literal('session'), Type.Literal('token'), Type.Literal('local')]),
  /** When the browser session ends unless renewed by use (absent for tokens). */
  expires: Type.Optional(Type.String()),
});
export type SessionUser = Static<typeof SessionUser>;

/**
 * Public (GET /auth/status): whether the first-run setup is still open (no admin account
 * exists yet) and who the caller is, if anyone. The UI asks this first, so a signed-out
 * visitor meets no 401.
 */
export const AuthStatus = Type.Object({ setupRequired: Type.Boolean(), user: Type.Union([SessionUser, Type.Null()]) });
export type AuthStatus = Static<typeof AuthStatus>;
