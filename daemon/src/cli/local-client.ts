// Talks to the running daemon over its control socket (for `havend disks|pool|swap|gc ...`),
// and follows a task it started there until the task ends (`--wait`).

import http from 'node:http';
import { existsSync } from 'node:fs';
import { HavenError, errorFromBody } from '../../../core/src/errors.js';
import type { TaskInfo } from '../../../core/src/api/jobs.js';
import { loadConfig } from '../config/load.js';
import { socketPath } from '../http/local-socket.js';

export class LocalClient {
  private readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = socketPath(dataDir);
  }

  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const text = await this.text(method, url, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The answer's body as it came (a CSV report); a typed error for a 4xx/5xx answer. */
  async text(method: string, url: string, body?: unknown): Promise<string> {
    if (!existsSync(this.path)) throw this.notRunning('no control socket');
    const payload = body === undefined ? null : JSON.stringify(body);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ socketPath: this.path, path: url, method, headers: payload ? { 'content-type': 'application/json' } : {} }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A daemon killed without stopping leaves its socket behind: nobody listens on it.
        // ENOENT: it stopped between the check above and the connect.
        if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') reject(this.notRunning(`nothing listens on its control socket (${err.code})`, err));
        else reject(err);
      });
      req.end(payload ?? undefined);
    });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, text ? JSON.parse(text) : undefined);
    return text;
  }

  private notRunning(detail: string, cause?: unknown): HavenError {
    return new HavenError('DAEMON_NOT_RUNNING', { dir: this.dataDir, detail: `${detail}: ${this.path}` }, { cause });
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

/** Polls a task until it ends; prints its progress on stderr when asked. */
export async function waitForTask(client: LocalClient, id: string, echo: boolean): Promise<TaskInfo> {
  let last = '';
  for (;;) {
    const t = await client.call<TaskInfo>('GET', `/api/v1/tasks/${id}`);
    const line = t.progressMessage ?? '';
    if (echo && line && line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (t.status !== 'running') return t;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
