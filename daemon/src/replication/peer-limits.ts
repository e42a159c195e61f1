// A peer's bandwidth limit, time windows and deletion propagation settings: their defaults,
// their checks (typed errors for bad input) and their edits (PATCH /peers/:name).

import type { PeerInfo, PeerLimits, UpdatePeerRequest } from '../../../core/src/api/replication.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import { DEFAULT_DELETE_BRAKE } from './deletion-propagation.js';
import { parseWindows } from './windows.js';

const NONE: PeerLimits = { rateLimit: null, windows: [], propagateDeletesAfter: null, deleteBrake: null };

/** The settings a request gives, defaults filled (the brake defaults on with propagation); throws on bad windows or durations. */
export function limitsOf(req: Partial<PeerLimits>): PeerLimits {
  const out: PeerLimits = {
    rateLimit: req.rateLimit ?? null,
    windows: (req.windows ?? []).map((w) => w.trim()),
    propagateDeletesAfter: req.propagateDeletesAfter ?? null,
    deleteBrake: req.deleteBrake ?? null,
  };
  parseWindows(out.windows);
  if (out.propagateDeletesAfter !== null) {
    parseDuration(out.propagateDeletesAfter);
    out.deleteBrake ??= DEFAULT_DELETE_BRAKE;
  }
  return out;
}

/** A stored peer with the settings peers added before them lack. */
export function withLimits(stored: PeerInfo): PeerInfo {
  return { ...NONE, ...stored };
}

/** The peer with an edit applied (lagAlert and the limits; null lifts a limit). */
export function applyUpdate(info: PeerInfo, req: UpdatePeerRequest): PeerInfo {
  const next = { ...info };
  if (req.lagAlert !== undefined) {
    parseDuration(req.lagAlert);
    next.lagAlert = req.lagAlert;
  }
  const limits = limitsOf({
    rateLimit: req.rateLimit === undefined ? info.rateLimit : req.rateLimit,
    windows: req.windows ?? info.windows,
    propagateDeletesAfter: req.propagateDeletesAfter === undefined ? info.propagateDeletesAfter : req.propagateDeletesAfter,
    deleteBrake: req.deleteBrake === undefined ? info.deleteBrake : req.deleteBrake,
  });
  return { ...next, ...limits };
}
