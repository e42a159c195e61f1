// What every command gets: its arguments, the output, the environment, and a way to
// connect (config, profile and environment resolved once).

import { availableParallelism } from 'node:os';
import { ApiClient } from '../api/api-client.js';
import type { ServerConnection } from '../api/http-transport.js';
import { resolveConnection, type Profile } from './client-config.js';
import type { Output } from './output.js';

export interface CommandContext {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Set by main once --json is known. */
  out: Output;
  /** Standard input, opened only when a command reads it (an open stdin keeps the process alive). */
  stdin: () => AsyncIterable<Uint8Array>;
}

export interface Connected {
  api: ApiClient;
  connection: ServerConnection;
}

export function connect(ctx: CommandContext, profile: Profile | null = null): Connected {
  const connection = resolveConnection(profile, ctx.env);
  const api = new ApiClient({ ...connection, maxSockets: 8 });
  return { api, connection };
}

/** Worker threads: HAVEN_WORKERS, else one per core. */
export function workerCount(env: NodeJS.ProcessEnv, fallback = availableParallelism()): number {
  const n = Number(env.HAVEN_WORKERS);
  return Number.isInteger(n) && n > 0 && n <= 64 ? n : fallback;
}

/** The --json flag every command accepts. */
export const JSON_FLAG = { json: { type: 'boolean', default: false } } as const;
