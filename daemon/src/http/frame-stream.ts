// Writes an objects answer's spans of frames straight to the response, each buffer handed
// back to the store once the socket has written it (the write's callback), so the next span
// is read into memory already touched instead of a fresh allocation. A Readable handed to
// Fastify cannot say when a chunk has left: its pipe writes without a callback. So the reply
// is taken over (hijacked): the status and headers are written here, and the onSend hooks do
// not run; the one that matters for this answer, the shutdown gate's `connection: close`, is
// applied here.

import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SpanFrames } from '../store/segment-reader.js';

export interface FrameStreamOptions {
  contentType: string;
  /** Fired when the daemon shuts down: the answer then ends its connection, as the gate would. */
  shutdown?: AbortSignal;
}

/**
 * Sends `first`, then whatever `next` reads until it answers null. A read that fails after the
 * answer began can only cut the stream short (the client names the objects that never came).
 */
export async function sendFrameSpans(reply: FastifyReply, first: SpanFrames, next: () => Promise<SpanFrames | null>, opts: FrameStreamOptions): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
  headers['content-type'] = opts.contentType;
  if (opts.shutdown?.aborted) headers.connection = 'close';
  res.writeHead(200, headers);
  try {
    for (let span: SpanFrames | null = first; span; span = await next()) {
      const sent = span;
      // The callback runs once the bytes are written or the response failed: either way
      // nothing refers to the buffer any more. A buffer whose callback never runs is not
      // reused, only collected.
      const more = res.write(sent.frames, () => sent.release());
      if (res.destroyed) return; // the client went away: stop reading
      if (!more && !(await drained(res))) return;
    }
    res.end();
  } catch (err) {
    reply.log.warn({ err }, 'objects answer cut short');
    res.destroy(err as Error);
  }
}

/** Waits for room in the response; false if it closed first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
