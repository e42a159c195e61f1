// The API clients' principal: the bearer token, checked through the guess limiter. Every
// route counts, public ones too: GET /auth/status answers who the token belongs to, so it
// would otherwise be an unlimited oracle.

import type { TokenPrincipal, TokenStore } from '../auth/tokens.js';
import type { GuessLimiter } from '../auth/guess-limiter.js';
import { bearerToken, type PrincipalResolver } from './auth-hook.js';

export function tokenResolver(tokens: Pick<TokenStore, 'verify'>, guesses: GuessLimiter): PrincipalResolver {
  return (req): TokenPrincipal | null => {
    const token = bearerToken(req);
    if (!token) return null;
    guesses.admit(req.ip, 'token');
    const principal = tokens.verify(token);
    if (principal) guesses.succeed(req.ip);
    else guesses.fail(req.ip, 'token');
    return principal;
  };
}
