import { Type, type Static } from 'typebox';
import { GROUP_PATTERN } from './common.js';

/**
 * `admin` (implies every scope), `backup:<group>` (create and read that group, never delete),
 * `replicate` (read every group and the change feed: an offsite peer), `replicate:<group>`
 * (the same for one group), `metrics` (GET /metrics only).
 */
export const TOKEN_SCOPE_PATTERN = `^(admin|replicate|metrics|(backup|replicate):${GROUP_PATTERN.slice(1, -1)})$`;
export const TokenScope = Type.String({ pattern: TOKEN_SCOPE_PATTERN });

export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  created: Type.String(),
  lastUsed: Type.Union([Type.String(), Type.Null()]),
});
export type TokenInfo = Static<typeof TokenInfo>;

export const CreateTokenRequest = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }), scope: TokenScope },
  { additionalProperties: false },
);
export type CreateTokenRequest = Static<typeof CreateTokenRequest>;

export const CreateTokenResponse = Type.Object({ token: Type.String(), info: TokenInfo });
export type CreateTokenResponse = Static<typeof CreateTokenResponse>;

export function isValidScope(scope: string): boolean {
  return new RegExp(TOKEN_SCOPE_PATTERN).test(scope);
}

export const TokenIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) });
