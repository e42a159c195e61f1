import type { ConfirmSwapRequest, StartSwapRequest, SwapIdParams, SwapInfo, SwapList } from '../../../../core/src/api/swap.js';
import type { SwapService } from '../../pool/swap/swap-service.js';
import type { Handler } from '../route-types.js';

type BySwap = { params: typeof SwapIdParams };

export function swapRoutes(swaps: SwapService) {
  const list: Handler = async (): Promise<SwapList> => ({ swaps: swaps.list() });
  const one: Handler<BySwap> = async (req): Promise<SwapInfo> => swaps.get(req.params.id);
  const start: Handler<{ body: typeof StartSwapRequest }> = async (req, reply) => reply.code(201).send(await swaps.begin(req.body));
  const confirm: Handler<BySwap & { body: typeof ConfirmSwapRequest }> = async (req): Promise<SwapInfo> => swaps.confirm(req.params.id, req.body);
  const cancel: Handler<BySwap> = async (req): Promise<SwapInfo> => swaps.cancel(req.params.id);
  const retry: Handler<BySwap> = async (req): Promise<SwapInfo> => swaps.retry(req.params.id);
  return { list, one, start, confirm, cancel, retry };
}
