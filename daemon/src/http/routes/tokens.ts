import type { CreateTokenRequest, TokenIdParams } from '../../../../core/src/api/tokens.js';
import type { TokenStore } from '../../auth/tokens.js';
import type { Handler } from '../route-types.js';

export function tokenRoutes(tokens: TokenStore) {
  const list: Handler = async () => ({ tokens: tokens.list() });
  const create: Handler<{ body: typeof CreateTokenRequest }> = async (req, reply) => {
    const { body } = req;
    return reply.code(201).send(await tokens.create(body.name, body.scope));
  };
  const revoke: Handler<{ params: typeof TokenIdParams }> = async (req, reply) => {
    await tokens.revoke(req.params.id);
    return reply.code(204).send();
  };
  return { list, create, revoke };
}
