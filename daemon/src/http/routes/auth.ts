// First-run setup, login, logout and "who am I" for the browser UI. Setup and login are the
// only public routes besides health; setup closes for good once an admin exists.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStatus, LoginRequest, SessionUser, SetupRequest } from '../../../../core/src/api/auth.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { AccountStore } from '../../accounts/accounts.js';
import type { SetupCode } from '../../accounts/setup-code.js';
import { SESSION_MAX_MS, type WebSession, type WebSessions } from '../../accounts/web-sessions.js';
import type { GuessLimiter } from '../../auth/guess-limiter.js';
import type { Principal } from '../../auth/principal.js';
import { clearedSessionCookie, sessionCookie } from '../cookies.js';
import type { Handler } from '../route-types.js';

export interface AuthDeps {
  accounts: AccountStore;
  sessions: WebSessions;
  setupCode: SetupCode;
  /** Failures per client address (shared with bearer tokens), and per account name (or the setup code). */
  guesses: GuessLimiter;
  /** A session ended (logout): its WebSockets must close. */
  onSessionEnded: (id: string) => void;
  log: (msg: string, fields: Record<string, unknown>) => void;
}

function userOf(p: Principal): SessionUser {
  if (p.kind === 'token') return { name: p.name, scopes: p.scopes, via: 'token' };
  if (p.session === undefined) return { name: p.name, scopes: p.scopes, via: 'local' };
  return { name: p.name, scopes: p.scopes, via: 'session', ...(p.expires ? { expires: p.expires } : {}) };
}

export function authRoutes(deps: AuthDeps) {
  const { accounts, sessions, setupCode, guesses } = deps;

  const startSession = async (req: FastifyRequest, reply: FastifyReply, user: string, scopes: string[]): Promise<SessionUser> => {
    const { secret, session }: { secret: string; session: WebSession } = await sessions.create(user, scopes);
    void reply.header('set-cookie', sessionCookie(secret, { secure: req.protocol === 'https', maxAgeSeconds: SESSION_MAX_MS / 1000 }));
    return { name: user, scopes, via: 'session', expires: session.expires.toISOString() };
  };

  const status: Handler = async (req): Promise<AuthStatus> => ({
    setupRequired: !accounts.any(),
    user: req.principal ? userOf(req.principal) : null,
  });

  const setup: Handler<{ body: typeof SetupRequest }> = async (req, reply) => {
    const { body } = req;
    if (accounts.any()) throw new HavenError('SETUP_DONE');
    guesses.admit(req.ip, 'password', 'setup-code');
    if (!setupCode.matches(body.code)) {
      guesses.fail(req.ip, 'password', 'setup-code');
      deps.log('setup code refused', { ip: req.ip });
      throw new HavenError('SETUP_CODE_INVALID');
    }
    const account = await accounts.createFirstAdmin(body.username, body.password);
    setupCode.consume();
    guesses.succeed(req.ip);
    deps.log('admin account created', { user: account.name, ip: req.ip });
    return reply.code(201).send(await startSession(req, reply, account.name, account.scopes));
  };

  const login: Handler<{ body: typeof LoginRequest }> = async (req, reply) => {
    const { body } = req;
    const user = `user:${body.username}`;
    guesses.admit(req.ip, 'password', user);
    const account = await accounts.verify(body.username, body.password);
    if (!account) {
      guesses.fail(req.ip, 'password', user);
      deps.log('login failed', { user: body.username, ip: req.ip });
      throw new HavenError('LOGIN_FAILED');
    }
    guesses.succeed(req.ip);
    return startSession(req, reply, account.name, account.scopes);
  };

  const logout: Handler = async (req, reply) => {
    const p = req.principal as Principal;
    if (p.kind === 'user' && p.session !== undefined) {
      await sessions.end(p.session);
      deps.onSessionEnded(p.session);
    }
    return reply.code(204).header('set-cookie', clearedSessionCookie(req.protocol === 'https')).send();
  };

  const whoami: Handler = async (req) => userOf(req.principal as Principal);

  return { status, setup, login, logout, whoami };
}
