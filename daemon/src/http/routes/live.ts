import { HavenError } from '../../../../core/src/errors.js';
import type { LiveHub } from '../../live/live-hub.js';
import type { Handler } from '../route-types.js';

export function liveRoutes(hub: LiveHub) {
  /** A plain GET of the WebSocket's URL. */
  const upgradeRequired: Handler = async () => {
    throw new HavenError('VALIDATION_FAILED', { detail: 'this URL takes a WebSocket upgrade' });
  };
  return { upgradeRequired, connect: hub.connect };
}
