// A file's content as its chunks in order, each verified by ObjectFetcher, for readers that
// stream it on (haven dump). The appliance answers a request in storage order, not request
// order, so chunks are asked for a window at a time and a window is handed on once all of it
// has come. The next window is asked for while the current one is handed on: about two
// windows are held at once, whatever the file's size.

import { MAX_OBJECTS_PER_REQUEST, type ObjectFetcher } from './object-fetcher.js';

/** Content asked for per request (by the file's average chunk size): 16 MiB. */
export const WINDOW_BYTES = 16 << 20;

export async function* orderedChunks(fetcher: ObjectFetcher, digests: readonly Uint8Array[], fileSize: number, windowBytes = WINDOW_BYTES): AsyncGenerator<Buffer> {
  if (digests.length === 0) return;
  const averageChunk = Math.max(1, fileSize / digests.length);
  const perWindow = Math.max(1, Math.min(MAX_OBJECTS_PER_REQUEST, Math.floor(windowBytes / averageChunk)));
  const fetchWindow = (from: number): Promise<Buffer[]> => {
    const slots: Buffer[] = [];
    // A digest asked for twice in a window (a repeated block) is fetched once and handed to both slots.
    const fetched = fetcher.batch(digests.slice(from, from + perWindow), (i, raw) => {
      slots[i] = raw;
    });
    return fetched.then(() => slots);
  };
  let next: Promise<Buffer[]> | null = fetchWindow(0);
  for (let from = 0; next !== null; from += perWindow) {
    const window: Buffer[] = await next;
    next = from + perWindow < digests.length ? fetchWindow(from + perWindow) : null;
    // A reader that stops early leaves the window asked for ahead unread: its failure is not its concern.
    next?.catch(() => undefined);
    yield* window;
  }
}
