// Configuration is layered once at start: schema defaults, then the config file, then
// HAVEND_* variables, then command-line flags; the result is validated and frozen.
// A bad value is reported with the field path and where it came from, never a stack trace.

import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import { checkJson } from '../../../core/src/json-check.js';
import { CONFIG_SCHEMA } from './config-schema-json.js';
import type { Config, ConfigSchema } from './schema.js';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  default?: unknown;
  anyOf?: SchemaNode[];
  description?: string;
}

export interface ConfigLeaf {
  path: string[];
  env: string;
  schema: SchemaNode;
}

function envName(path: string[]): string {
  return 'HAVEND_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every scalar field of the schema with its environment variable (also used for the README table). */
export function configLeaves(node: SchemaNode = CONFIG_SCHEMA as unknown as SchemaNode, path: string[] = []): ConfigLeaf[] {
  if (node.type === 'object' && node.properties) {
    return Object.entries(node.properties).flatMap(([k, child]) => configLeaves(child, [...path, k]));
  }
  return [{ path, env: envName(path), schema: node }];
}

function defaults(node: SchemaNode): unknown {
  if (node.type === 'object' && node.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(node.properties)) out[k] = defaults(child);
    return out;
  }
  return node.default;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` into `base`, remembering which source set each path. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>, source: string, origins: Map<string, string>, prefix = ''): void {
  for (const [k, v] of Object.entries(over)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.hasOwn(base, k) && isPlainObject(base[k])) merge(base[k] as Record<string, unknown>, v, source, origins, path);
    else {
      // An own key even when it is "__proto__" (JSON.parse makes it one): the schema then
      // refuses it as an unknown setting, where `base[k] = v` reached Object.prototype.
      Object.defineProperty(base, k, { value: v, enumerable: true, writable: true, configurable: true });
      origins.set(path, source);
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const p of path.slice(0, -1)) {
    if (!isPlainObject(node[p])) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function fromEnvString(leaf: ConfigLeaf, raw: string): unknown {
  if (leaf.schema.type === 'integer' || leaf.schema.type === 'number') {
    return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  }
  if (leaf.schema.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (leaf.schema.type === 'array') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    }
  }
  return raw;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

export interface LoadOptions {
  /** --config FILE; when absent, <dataDir>/havend.json is read if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, already shaped like the config (e.g. { dataDir, listen }). */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** Absolute path of the datastore. */
  datastorePath: string;
  file: string | null;
}

function invalid(detail: string): HavenError {
  return new HavenError('CONFIG_INVALID', { detail });
}

type SchemaChecker = { Value: { Errors(schema: typeof ConfigSchema, value: unknown): Iterable<unknown> } };

/**
 * What is wrong with a configuration the JSON check refused, in TypeBox's words; null when
 * TypeBox finds it valid after all. TypeBox is loaded here, synchronously (require of an ES
 * module, Node 20.19+); where that is not possible the JSON check's own words are used.
 */
function describeInvalid(value: unknown, origins: Map<string, string>, leaves: ConfigLeaf[], problem: string): string | null {
  let schema: typeof ConfigSchema;
  let checker: SchemaChecker;
  try {
    const require = createRequire(import.meta.url);
    schema = (require('./schema.js') as { ConfigSchema: typeof ConfigSchema }).ConfigSchema;
    checker = require('typebox/value') as SchemaChecker;
  } catch {
    return problem;
  }
  const errors = [...checker.Value.Errors(schema, value)];
  if (errors.length === 0) return null;
  type SchemaError = { instancePath: string; message: string; keyword: string; params?: { additionalProperties?: string[] } };
  const all = errors as SchemaError[];
  // An unknown key shows up as a 'schema is false' error first; report the key itself.
  const e = all.find((x) => x.keyword === 'additionalProperties') ?? (all[0] as SchemaError);
  let field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = e.params?.additionalProperties;
  if (extra && extra.length > 0) field = [field, extra[0]].filter(Boolean).join('.');
  const from = origins.get(field) ?? [...origins.entries()].find(([p]) => field.startsWith(p + '.'))?.[1];
  const leaf = leaves.find((l) => l.path.join('.') === field);
  const where = from ? ` (from ${from}${from === 'environment' && leaf ? `: ${leaf.env}` : ''})` : '';
  const message = extra && extra.length > 0 ? 'is not a known setting' : e.message;
  return `${field || '(root)'}${where}: ${message}`;
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const origins = new Map<string, string>();
  const value = defaults(CONFIG_SCHEMA as unknown as SchemaNode) as Record<string, unknown>;
  const leaves = configLeaves();

  const envLayer: Record<string, unknown> = {};
  const known = new Set(leaves.map((l) => l.env));
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('HAVEND_') || raw === undefined) continue;
    if (!known.has(name)) throw invalid(`unknown environment variable ${name} (known: ${[...known].join(', ')})`);
    const leaf = leaves.find((l) => l.env === name) as ConfigLeaf;
    setPath(envLayer, leaf.path, fromEnvString(leaf, raw));
  }
  const flagLayer = options.flags ?? {};

  // The data directory decides where the default config file is, so resolve it first.
  const dataDirGuess = String(
    (flagLayer.dataDir as string | undefined) ?? (envLayer.dataDir as string | undefined) ?? value.dataDir,
  );
  let file: string | null = options.file ?? null;
  if (file === null && existsSync(join(dataDirGuess, 'havend.json'))) file = join(dataDirGuess, 'havend.json');
  if (file !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (err) {
      throw invalid(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    if (!isPlainObject(parsed)) throw invalid(`config file ${file} must hold a JSON object`);
    merge(value, parsed, `config file ${file}`, origins);
  }
  merge(value, envLayer, 'environment', origins);
  merge(value, flagLayer, 'command line', origins);

  // The plain-JSON check passes a good configuration without loading TypeBox; a bad one is
  // described by TypeBox, as it always was (the field, where it came from, TypeBox's message).
  const problem = checkJson(CONFIG_SCHEMA, value);
  if (problem !== null) {
    const detail = describeInvalid(value, origins, leaves, problem);
    if (detail !== null) throw invalid(detail);
  }
  const config = deepFreeze(value as Config);
  const dataDir = resolve(config.dataDir);
  const datastorePath = config.datastore.path === '' ? join(dataDir, 'datastore') : resolve(config.datastore.path);
  return { config, datastorePath, file };
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`listen: port ${listen.slice(i + 1)} is out of range`);
  return { host, port };
}
