import { Type, type Static } from 'typebox';
import { TOKEN_SCOPE_PATTERN } from './wire-constants.js';

export { TOKEN_SCOPE_PATTERN, isValidScope } from './wire-constants.js';

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

export const TokenIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) });
