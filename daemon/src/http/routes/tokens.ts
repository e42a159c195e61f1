import type { CreateTokenRequest } from '../../../../core/src/api/tokens.js';
import type { TokenStore } from '../../auth/tokens.js';
import type { Handler } from '../route-types.js';

export function tokenRoutes(tokens: TokenStore) {
  const list: Handler = async () => ({ tokens: tokens.list() });
  const create: Handler = async (req, reply) => {
    const body = req.body as CreateTokenRequest;
    return reply.code(201).send(await tokens.create(body.name, body.scope));
  };
  const revoke: Handler = async (req, reply) => {
    await tokens.revoke((req.params as { id: string }).id);
    return reply.code(204).send();
  };
  return { list, create, revoke };
}
