// The auth matrix, generated from the route table itself: every route the daemon serves is
// requested without credentials, with a token whose scope its policy refuses, and with one
// it accepts. A route added later is covered without anyone listing it here; a route whose
// policy this file does not know how to exercise fails the first test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from 'typebox/value';
import type { InjectOptions } from 'fastify';
import { CommitRequest, StartBackupRequest } from '../../core/src/api/backup.js';
import type { TSchema } from 'typebox';
import type { Route, RoutePolicy } from '../../daemon/src/http/route-types.js';
import { groupFixture, openSession, type GroupFixture } from './fixtures.js';
import { inProcessServer, type InProcess } from './in-process.js';

const GROUP = 'alpha';
const OTHER_GROUP = 'beta';

/** Valid bodies for the schemas of group-scoped routes: their group check runs after validation. */
const SAMPLE_BODIES = new Map<TSchema, (f: GroupFixture) => unknown>([
  [StartBackupRequest, (f) => ({ group: f.group, host: 'matrix', paths: [], tags: [] })],
  [CommitRequest, () => ({ root: '0'.repeat(64) })],
]);
/** Values for URL parameters a group route's policy does not name (any valid value will do). */
const SAMPLE_PARAMS: Record<string, string> = { digest: '0'.repeat(64) };

interface Case {
  /** Scopes that must be refused with 403 (none for public and any-principal routes). */
  refused: string[];
  /** Scopes that must get past auth. */
  accepted: string[];
}

/** What the matrix checks for a policy; throws for one it does not understand. */
function caseOf(policy: RoutePolicy): Case {
  switch (policy.kind) {
    case 'public':
      return { refused: [], accepted: [] };
    case 'authenticated':
      // the weakest principal there is: a backup token of a group nobody asked about
      return { refused: [], accepted: [`backup:${OTHER_GROUP}`] };
    case 'scope':
      // admin implies every scope; any other scope implies only itself
      return {
        refused: ['admin', 'replicate', `replicate:${GROUP}`, 'metrics', `backup:${GROUP}`].filter((s) => s !== policy.scope && s !== 'admin'),
        accepted: [policy.scope],
      };
    case 'replicate':
      // either replication scope; backup and metrics tokens are not peers
      return { refused: [`backup:${GROUP}`, 'metrics'], accepted: ['replicate', `replicate:${GROUP}`] };
    case 'group':
      if (!['body', 'params', 'session', 'snapshot'].includes(policy.from)) throw new Error(`group policy from ${String(policy.from)}`);
      // Reading a group lets its replication tokens in; writing (a session) needs backup:<group>.
      if (policy.access === 'read') {
        return { refused: [`backup:${OTHER_GROUP}`, `replicate:${OTHER_GROUP}`, 'metrics'], accepted: [`backup:${GROUP}`, 'replicate', `replicate:${GROUP}`] };
      }
      if (policy.access === 'write') {
        return { refused: [`backup:${OTHER_GROUP}`, 'replicate', `replicate:${GROUP}`, 'metrics'], accepted: [`backup:${GROUP}`] };
      }
      throw new Error(`group policy with access ${String(policy.access)}`);
    default:
      throw new Error(`policy ${JSON.stringify(policy)} is not one the auth matrix knows`);
  }
}

const name = (r: Route): string => `${r.method} ${r.url}`;

/** A request the route's schema accepts where its policy looks (group routes); anything elsewhere. */
function requestFor(r: Route, f: GroupFixture): InjectOptions {
  const policy = r.auth;
  const params: Record<string, string> = {};
  const url = r.url.replace('*', 'matrix').replace(/:(\w+)/g, (_, p: string) => {
    let v = SAMPLE_PARAMS[p] ?? 'matrix';
    if (policy.kind === 'group') {
      if (p === 'group' && policy.from === 'params') v = f.group;
      if (p === 'id' && policy.from === 'session') v = f.session;
      if (p === 'id' && policy.from === 'snapshot') v = f.snapshot;
    }
    params[p] = v;
    return v;
  });
  const options: InjectOptions = { method: r.method, url };
  if (policy.kind !== 'group') return options;
  // The group is checked after validation: anything invalid here would answer 400, not 403.
  if (r.schema?.params) assert.ok(Value.Check(r.schema.params, params), `${name(r)}: no valid sample for its URL parameters ${JSON.stringify(params)}`);
  const body = r.schema?.body;
  if (body) {
    const sample = SAMPLE_BODIES.get(body);
    assert.ok(sample, `${name(r)}: add a sample body for its schema to SAMPLE_BODIES`);
    options.payload = sample(f) as InjectOptions['payload'];
    assert.ok(Value.Check(body, options.payload), `${name(r)}: its sample body does not match its schema`);
  }
  return options;
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

const tokens = new Map<string, Promise<string>>();
/** One token per scope for the whole matrix (each creation is a committed write). */
function tokenOf(api: InProcess, f: GroupFixture, scope: string): Promise<string> {
  if (scope === `backup:${f.group}`) return Promise.resolve(f.token);
  let token = tokens.get(scope);
  if (!token) tokens.set(scope, (token = api.token(scope)));
  return token;
}

async function checkRoute(api: InProcess, shared: GroupFixture, r: Route): Promise<void> {
  // A session of its own: an accepted request may end it (DELETE, a failed commit).
  const f = { ...shared, session: await openSession(api, shared) };
  const req = requestFor(r, f);
  const as = async (scope: string | null) => api.server.inject({ ...req, headers: scope ? { authorization: `Bearer ${await tokenOf(api, f, scope)}` } : {} });
  const c = caseOf(r.auth);

  const anonymous = await as(null);
  if (r.auth.kind === 'public') {
    assert.ok(![401, 403].includes(anonymous.statusCode), `${name(r)} is public but answered ${anonymous.statusCode}`);
  } else {
    assert.equal(anonymous.statusCode, 401, `${name(r)} without credentials: ${anonymous.body}`);
    assert.equal(codeOf(anonymous.body), 'UNAUTHORIZED');
  }
  for (const scope of c.refused) {
    const res = await as(scope);
    assert.equal(res.statusCode, 403, `${name(r)} with ${scope}: ${res.body}`);
    assert.equal(codeOf(res.body), 'FORBIDDEN');
  }
  for (const scope of c.accepted) {
    const res = await as(scope);
    assert.ok(![401, 403].includes(res.statusCode), `${name(r)} refused ${scope}: ${res.statusCode} ${res.body}`);
  }
  if (r.wsHandler) await checkUpgrade(api, f, r, c);
}

/** A WebSocket route refuses the upgrade itself as it refuses a plain request. */
async function checkUpgrade(api: InProcess, f: GroupFixture, r: Route, c: Case): Promise<void> {
  await assert.rejects(api.server.injectWS(r.url), /Unexpected server response: 401/);
  for (const scope of c.refused) {
    await assert.rejects(api.server.injectWS(r.url, { headers: { authorization: `Bearer ${await tokenOf(api, f, scope)}` } }), /Unexpected server response: 403/);
  }
  for (const scope of c.accepted) {
    const ws = await api.server.injectWS(r.url, { headers: { authorization: `Bearer ${await tokenOf(api, f, scope)}` } });
    ws.terminate();
  }
}

// One instance for the whole table (building one takes about a second; the table has dozens
// of routes). Requests that pass auth run their handler for real: the arguments are chosen so
// they change nothing another route's check depends on, and each route gets its own session.
test('auth matrix over every route of the table', async (t) => {
  const api = await inProcessServer(t);
  const { routes } = api;
  assert.ok(routes.length > 0);
  // Every policy must be one this file can exercise, before any request is made.
  for (const r of routes) assert.doesNotThrow(() => caseOf(r.auth), name(r));
  const kinds = new Map<string, number>();
  for (const r of routes) kinds.set(r.auth.kind, (kinds.get(r.auth.kind) ?? 0) + 1);
  t.diagnostic(`auth matrix: ${routes.length} routes (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
  console.log(`auth matrix covers ${routes.length} routes`);
  const shared = await groupFixture(api, GROUP);
  for (const r of routes) await t.test(name(r), () => checkRoute(api, shared, r));
});
