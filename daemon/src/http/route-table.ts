// Every route of the API with its auth policy, in one table (after Kopia's server.go).
// Adding a route means adding a line here; a route cannot exist without stating who may call it.

import { Type } from 'typebox';
import { CommitRequest, StartBackupRequest } from '../../../core/src/api/backup.js';
import { GroupName, HexDigest, SnapshotRef } from '../../../core/src/api/common.js';
import { CreateTokenRequest } from '../../../core/src/api/tokens.js';
import { AcknowledgeRequest, DiskId, DiskListQuery } from '../../../core/src/api/disks.js';
import { HistoryQuery, SelfTestRequest } from '../../../core/src/api/smart.js';
import { AlertAckRequest, AlertListQuery, TaskListQuery } from '../../../core/src/api/jobs.js';
import { LoginRequest, SetupRequest } from '../../../core/src/api/auth.js';
import { LIVE_PATH } from '../../../core/src/api/live.js';
import type { archiveRoutes } from './routes/archive.js';
import type { authRoutes } from './routes/auth.js';
import type { liveRoutes } from './routes/live.js';
import type { uiRoutes } from './routes/ui-static.js';
import { AddDeviceRequest, CreatePoolRequest, DevidParams } from '../../../core/src/api/pool.js';
import { ConfirmSwapRequest, StartSwapRequest, SwapIdParams } from '../../../core/src/api/swap.js';
import type { backupRoutes } from './routes/backups.js';
import type { diskRoutes } from './routes/disks.js';
import type { alertRoutes, taskRoutes } from './routes/jobs.js';
import type { healthRoutes } from './routes/health.js';
import type { poolRoutes } from './routes/pool.js';
import type { swapRoutes } from './routes/swaps.js';
import type { snapshotRoutes } from './routes/snapshots.js';
import type { systemRoutes } from './routes/system.js';
import type { tokenRoutes } from './routes/tokens.js';
import { ADMIN, AUTHENTICATED, METRICS, PUBLIC, type AuthPolicy, type Route } from './route-types.js';

export interface RouteHandlers {
  health: ReturnType<typeof healthRoutes>;
  backups: ReturnType<typeof backupRoutes>;
  snapshots: ReturnType<typeof snapshotRoutes>;
  tokens: ReturnType<typeof tokenRoutes>;
  disks: ReturnType<typeof diskRoutes>;
  tasks: ReturnType<typeof taskRoutes>;
  alerts: ReturnType<typeof alertRoutes>;
  system: ReturnType<typeof systemRoutes>;
  auth: ReturnType<typeof authRoutes>;
  live: ReturnType<typeof liveRoutes>;
  archive: ReturnType<typeof archiveRoutes>;
  ui: ReturnType<typeof uiRoutes>;
  pool: ReturnType<typeof poolRoutes>;
  swaps: ReturnType<typeof swapRoutes>;
}

const SessionParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
const SnapshotParams = Type.Object({ id: SnapshotRef });
const DiskParams = Type.Object({ id: DiskId });
const JobIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{1,16}-[0-9a-f]{8}$' }) });
const PathQuery = Type.Object({ path: Type.Optional(Type.String({ maxLength: 65536 })) });

export function routeTable(h: RouteHandlers, limits: { maxHasDigests: number; maxObjectsPerRequest: number }): Route[] {
  const sessionGroup: AuthPolicy = { kind: 'group', group: (req) => h.backups.sessionGroup((req.params as { id: string }).id) };
  const bodyGroup: AuthPolicy = { kind: 'group', group: (req) => (req.body as { group: string }).group };
  const paramGroup: AuthPolicy = { kind: 'group', group: (req) => (req.params as { group: string }).group };
  const snapshotGroup: AuthPolicy = { kind: 'group', group: (req) => h.snapshots.snapshotGroup((req.params as { id: string }).id) };

  return [
    { method: 'GET', url: '/api/v1/health', auth: PUBLIC, handler: h.health.get },

    // admin accounts and browser sessions (setup answers only until an admin exists)
    { method: 'GET', url: '/api/v1/auth/status', auth: PUBLIC, handler: h.auth.status },
    { method: 'POST', url: '/api/v1/setup', auth: PUBLIC, schema: { body: SetupRequest }, handler: h.auth.setup },
    { method: 'POST', url: '/api/v1/auth/login', auth: PUBLIC, schema: { body: LoginRequest }, handler: h.auth.login },
    { method: 'POST', url: '/api/v1/auth/logout', auth: AUTHENTICATED, handler: h.auth.logout },
    { method: 'GET', url: '/api/v1/auth/session', auth: AUTHENTICATED, handler: h.auth.whoami },
    // live state and events for the UI: one WebSocket
    { method: 'GET', url: LIVE_PATH, auth: ADMIN, handler: h.live.upgradeRequired, wsHandler: h.live.connect },

    // push protocol
    { method: 'POST', url: '/api/v1/backups', auth: bodyGroup, schema: { body: StartBackupRequest }, handler: h.backups.start },
    { method: 'GET', url: '/api/v1/backups/:id', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.get },
    {
      method: 'POST', url: '/api/v1/backups/:id/has', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.has,
      options: { bodyLimit: limits.maxHasDigests * 32 },
    },
    { method: 'POST', url: '/api/v1/backups/:id/chunks', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.chunks },
    { method: 'POST', url: '/api/v1/backups/:id/commit', auth: sessionGroup, schema: { params: SessionParams, body: CommitRequest }, handler: h.backups.commit },
    { method: 'DELETE', url: '/api/v1/backups/:id', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.abort },

    // reading back
    { method: 'GET', url: '/api/v1/groups', auth: AUTHENTICATED, handler: h.snapshots.groups },
    { method: 'GET', url: '/api/v1/groups/:group/snapshots', auth: paramGroup, schema: { params: Type.Object({ group: GroupName }) }, handler: h.snapshots.list },
    { method: 'GET', url: '/api/v1/snapshots/:id', auth: snapshotGroup, schema: { params: SnapshotParams }, handler: h.snapshots.one },
    { method: 'DELETE', url: '/api/v1/snapshots/:id', auth: ADMIN, schema: { params: SnapshotParams }, handler: h.snapshots.remove },
    {
      method: 'GET', url: '/api/v1/snapshots/:id/objects/:digest', auth: snapshotGroup,
      schema: { params: Type.Object({ id: SnapshotRef, digest: HexDigest }) }, handler: h.snapshots.object,
    },
    {
      method: 'POST', url: '/api/v1/snapshots/:id/objects', auth: snapshotGroup, schema: { params: SnapshotParams }, handler: h.snapshots.objects,
      options: { bodyLimit: limits.maxObjectsPerRequest * 32 },
    },
    { method: 'GET', url: '/api/v1/snapshots/:id/tree', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.snapshots.tree },
    { method: 'GET', url: '/api/v1/snapshots/:id/content', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.snapshots.content },
    { method: 'GET', url: '/api/v1/snapshots/:id/archive', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.archive.get },

    // administration
    { method: 'GET', url: '/api/v1/tokens', auth: ADMIN, handler: h.tokens.list },
    { method: 'POST', url: '/api/v1/tokens', auth: ADMIN, schema: { body: CreateTokenRequest }, handler: h.tokens.create },
    { method: 'GET', url: '/api/v1/system/tls', auth: AUTHENTICATED, handler: h.system.tls },
    // Prometheus' conventional path; a `metrics` token (or admin) reads it, nothing else.
    { method: 'GET', url: '/metrics', auth: METRICS, handler: h.system.metrics },
    { method: 'DELETE', url: '/api/v1/tokens/:id', auth: ADMIN, schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }) }, handler: h.tokens.revoke },

    // disks (reading is for admins too: serials and locations are the appliance's business)
    { method: 'GET', url: '/api/v1/disks', auth: ADMIN, schema: { querystring: DiskListQuery }, handler: h.disks.list },
    { method: 'GET', url: '/api/v1/disks/:id', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.one },
    { method: 'DELETE', url: '/api/v1/disks/:id', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.purge },
    { method: 'GET', url: '/api/v1/disks/:id/smart', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.smart },
    { method: 'POST', url: '/api/v1/disks/:id/smart/check', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.check },
    { method: 'GET', url: '/api/v1/disks/:id/history', auth: ADMIN, schema: { params: DiskParams, querystring: HistoryQuery }, handler: h.disks.history },
    { method: 'POST', url: '/api/v1/disks/:id/acknowledge', auth: ADMIN, schema: { params: DiskParams, body: AcknowledgeRequest }, handler: h.disks.acknowledge },
    { method: 'POST', url: '/api/v1/disks/:id/selftest', auth: ADMIN, schema: { params: DiskParams, body: SelfTestRequest }, handler: h.disks.selfTest },

    // tasks and alerts
    { method: 'GET', url: '/api/v1/tasks', auth: ADMIN, schema: { querystring: TaskListQuery }, handler: h.tasks.list },
    { method: 'GET', url: '/api/v1/tasks/:id', auth: ADMIN, schema: { params: JobIdParams }, handler: h.tasks.one },
    { method: 'POST', url: '/api/v1/tasks/:id/cancel', auth: ADMIN, schema: { params: JobIdParams }, handler: h.tasks.cancel },
    { method: 'GET', url: '/api/v1/alerts', auth: ADMIN, schema: { querystring: AlertListQuery }, handler: h.alerts.list },
    {
      method: 'POST', url: '/api/v1/alerts/:id/acknowledge', auth: ADMIN,
      schema: { params: JobIdParams, body: AlertAckRequest }, handler: h.alerts.acknowledge,
    },
    // the storage pool (creating it and adding members wipe disks: admins only, like all of it)
    { method: 'GET', url: '/api/v1/pool', auth: ADMIN, handler: h.pool.status },
    { method: 'POST', url: '/api/v1/pool', auth: ADMIN, schema: { body: CreatePoolRequest }, handler: h.pool.create },
    { method: 'POST', url: '/api/v1/pool/scrub', auth: ADMIN, handler: h.pool.scrub },
    { method: 'POST', url: '/api/v1/pool/devices', auth: ADMIN, schema: { body: AddDeviceRequest }, handler: h.pool.addDevice },
    { method: 'DELETE', url: '/api/v1/pool/devices/:devid', auth: ADMIN, schema: { params: DevidParams }, handler: h.pool.removeDevice },

    // the guided disk swap (one screen per step in the UI; every action says what it refuses)
    { method: 'GET', url: '/api/v1/swaps', auth: ADMIN, handler: h.swaps.list },
    { method: 'POST', url: '/api/v1/swaps', auth: ADMIN, schema: { body: StartSwapRequest }, handler: h.swaps.start },
    { method: 'GET', url: '/api/v1/swaps/:id', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.one },
    { method: 'POST', url: '/api/v1/swaps/:id/confirm', auth: ADMIN, schema: { params: SwapIdParams, body: ConfirmSwapRequest }, handler: h.swaps.confirm },
    { method: 'POST', url: '/api/v1/swaps/:id/cancel', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.cancel },
    { method: 'POST', url: '/api/v1/swaps/:id/retry', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.retry },

    // the admin UI's static files; any other GET outside /api gets index.html (history routes)
    { method: 'GET', url: '/*', auth: PUBLIC, handler: h.ui.get },
  ];
}
