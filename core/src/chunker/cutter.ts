// Picks the cut-point search: the addon's when it is built, else the TypeScript one (with
// the loader's one-line notice). Both give identical boundaries (tests/chunker).

import type { ChunkerParams } from '../api/backup.js';
import { addonOrFallback, type FastCdcBinding, type HavenAddon } from '../native/addon.js';
import { TsFastCdc, fastcdcSetup, type FastCdcSetup } from './fastcdc.js';

export interface Cutter extends FastCdcBinding {
  readonly setup: FastCdcSetup;
  readonly native: boolean;
}

export function nativeCutter(addon: HavenAddon, setup: FastCdcSetup): Cutter {
  const impl = new addon.FastCdc(setup.gear, setup.minSize, setup.avgSize, setup.maxSize, setup.maskS, setup.maskL);
  return { setup, native: true, cut: (buf, start, end) => impl.cut(buf, start, end) };
}

export function tsCutter(setup: FastCdcSetup): Cutter {
  const impl = new TsFastCdc(setup);
  return { setup, native: false, cut: (buf, start, end) => impl.cut(buf, start, end) };
}

export function createCutter(params: ChunkerParams): Cutter {
  const setup = fastcdcSetup(params);
  const addon = addonOrFallback();
  return addon ? nativeCutter(addon, setup) : tsCutter(setup);
}

/** Chunk lengths of a whole buffer (tests and small inputs; files are cut while streaming). */
export function cutAll(cutter: FastCdcBinding, buf: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let pos = 0; pos < buf.length;) {
    const n = cutter.cut(buf, pos, buf.length);
    lengths.push(n);
    pos += n;
  }
  return lengths;
}
