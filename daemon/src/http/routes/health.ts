import type { HealthResponse } from '../../../../core/src/api/system.js';
import type { Handler } from '../route-types.js';

export interface HealthDeps {
  version: string;
  datastoreId: string;
  ready: () => boolean;
}

export function healthRoutes(deps: HealthDeps): { get: Handler } {
  return {
    get: async (_req, reply) => {
      if (!deps.ready()) return reply.code(503).send({ status: 'starting' });
      const health: HealthResponse = { status: 'ok', version: deps.version, datastore: deps.datastoreId };
      return health;
    },
  };
}
