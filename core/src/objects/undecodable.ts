// One way to say "this object does not decode": the decoders throw MsgpackError (or
// RangeError from a length), and every reader (the appliance's walks and tree reader, the
// client's tree source) answers with the typed OBJECT_UNDECODABLE naming the object.

import { HavenError } from '../errors.js';
import { toHex } from './digest.js';
import { MsgpackError } from './msgpack.js';

export function decodeOrThrow<T>(digest: Uint8Array, kind: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof MsgpackError || err instanceof RangeError) {
      throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(digest), kind, detail: err.message });
    }
    throw err;
  }
}
