// Talks to the running daemon over its control socket (for `havend disks|pool|swap ...`).

import http from 'node:http';
import { existsSync } from 'node:fs';
import { HavenError, errorFromBody } from '../../../core/src/errors.js';
import { loadConfig } from '../config/load.js';
import { socketPath } from '../http/local-socket.js';

export class LocalClient {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = socketPath(dataDir);
  }

  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    if (!existsSync(this.path)) {
      throw new HavenError('STORAGE_IO', { detail: `no control socket at ${this.path}: is havend running with this --data directory?` });
    }
    const payload = body === undefined ? null : JSON.stringify(body);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ socketPath: this.path, path: url, method, headers: payload ? { 'content-type': 'application/json' } : {} }, resolve);
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, parsed);
    return parsed as T;
  }
}

/** The control-socket client for a command's `--data DIR` / `--config FILE` flags. */
export function localClientFor(values: { data?: string | undefined; config?: string | undefined }): LocalClient {
  const loaded = loadConfig({
    ...(values.config !== undefined ? { file: values.config } : {}),
    ...(values.data !== undefined ? { flags: { dataDir: values.data } } : {}),
  });
  return new LocalClient(loaded.config.dataDir);
}
