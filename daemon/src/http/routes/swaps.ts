import type { ConfirmSwapRequest, StartSwapRequest, SwapInfo, SwapList } from '../../../../core/src/api/swap.js';
import type { SwapService } from '../../pool/swap/swap-service.js';
import type { Handler } from '../route-types.js';

type IdParams = { id: string };

export function swapRoutes(swaps: SwapService) {
  const id = (req: { params: unknown }): string => (req.params as IdParams).id;
  const list: Handler = async (): Promise<SwapList> => ({ swaps: swaps.list() });
  const one: Handler = async (req): Promise<SwapInfo> => swaps.get(id(req));
  const start: Handler = async (req, reply) => reply.code(201).send(await swaps.begin(req.body as StartSwapRequest));
  const confirm: Handler = async (req): Promise<SwapInfo> => swaps.confirm(id(req), req.body as ConfirmSwapRequest);
  const cancel: Handler = async (req): Promise<SwapInfo> => swaps.cancel(id(req));
  const retry: Handler = async (req): Promise<SwapInfo> => swaps.retry(id(req));
  return { list, one, start, confirm, cancel, retry };
}
