// Where the client finds its server, token and caches: the login config
// ($XDG_CONFIG_HOME/haven/config.json, or HAVEN_CONFIG), then a profile (--profile NAME:
// the user's config dir, then /etc/haven/profiles/NAME.json), then HAVEN_SERVER,
// HAVEN_TOKEN, HAVEN_FINGERPRINT, HAVEN_TIMEOUT_SECONDS and HAVEN_CACHE_DIR, then flags.

import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import { UsageError } from '../../../core/src/cli/args.js';
import type { ServerConnection } from '../api/http-transport.js';
import { checkJson } from '../../../core/src/json-check.js';
import { JSON_SCHEMAS } from '../api/json-schemas.js';
import { DEFAULT_REQUEST_TIMEOUTS, timeoutsFromSeconds, type RequestTimeouts } from '../api/request-timeouts.js';
import type { Profile, SavedConfig } from './client-config-schema.js';

export type { Profile, SavedConfig } from './client-config-schema.js';

/** The longest HAVEN_TIMEOUT_SECONDS: a day (beyond that, a stalled server is better caught by its owner). */
const MAX_TIMEOUT_SECONDS = 86_400;

type Env = NodeJS.ProcessEnv;

export function configDir(env: Env = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'haven');
}

export function configPath(env: Env = process.env): string {
  return env.HAVEN_CONFIG || join(configDir(env), 'config.json');
}

export function cacheDir(env: Env = process.env): string {
  return env.HAVEN_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'haven');
}

export function readSavedConfig(env: Env = process.env): SavedConfig | null {
  const path = configPath(env);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HavenError('PROFILE_INVALID', { name: 'login config', path, detail: (err as Error).message });
  }
  const problem = checkJson(JSON_SCHEMAS.savedConfig, value);
  if (problem !== null) throw new HavenError('PROFILE_INVALID', { name: 'login config', path, detail: `not a haven login config (${problem})` });
  return value as SavedConfig; // checked just above
}

/** Saves the login config readable by its owner only (it holds a token). */
export function saveConfig(config: SavedConfig, env: Env = process.env): string {
  const path = configPath(env);
  makeDirs(dirname(path), 0o700);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

export function profilePaths(name: string, env: Env = process.env): string[] {
  return [join(configDir(env), 'profiles', `${name}.json`), join('/etc/haven/profiles', `${name}.json`)];
}

export function readProfile(name: string, env: Env = process.env): Profile {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new HavenError('PROFILE_INVALID', { name, path: '-', detail: 'profile names are letters, digits, . _ -' });
  const candidates = profilePaths(name, env);
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new HavenError('PROFILE_INVALID', { name, path: candidates.join(' or '), detail: 'no such file' });
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HavenError('PROFILE_INVALID', { name, path, detail: (err as Error).message });
  }
  const problem = checkJson(JSON_SCHEMAS.profile, value);
  if (problem !== null) throw new HavenError('PROFILE_INVALID', { name, path, detail: problem });
  const profile = value as Profile; // checked just above
  if (profile.tokenFile && !profile.token) profile.token = readFileSync(profile.tokenFile, 'utf8').trim();
  return profile;
}

/** HAVEN_TIMEOUT_SECONDS (seconds, decimals allowed) or the defaults; a value that is not one is refused, not ignored. */
export function requestTimeouts(env: Env = process.env): RequestTimeouts {
  const text = env.HAVEN_TIMEOUT_SECONDS;
  if (text === undefined || text === '') return { ...DEFAULT_REQUEST_TIMEOUTS };
  const seconds = Number(text);
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new UsageError(`HAVEN_TIMEOUT_SECONDS=${text}: expected a number of seconds, more than 0 and at most ${MAX_TIMEOUT_SECONDS}`);
  }
  return timeoutsFromSeconds(seconds);
}

/** The connection from config, profile and environment (later ones win). */
export function resolveConnection(profile: Profile | null, env: Env = process.env): ServerConnection {
  const saved = readSavedConfig(env);
  const server = env.HAVEN_SERVER || profile?.server || saved?.server;
  const token = env.HAVEN_TOKEN || profile?.token || saved?.token;
  const fingerprint = env.HAVEN_FINGERPRINT || profile?.fingerprint || saved?.fingerprint;
  if (!server || !token) throw new HavenError('CLIENT_NOT_CONFIGURED');
  const timeouts = requestTimeouts(env);
  return fingerprint ? { server, token, fingerprint, timeouts } : { server, token, timeouts };
}
