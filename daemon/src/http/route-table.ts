// Every route of the API with its auth policy, in one table (after Kopia's server.go).
// Adding a route means adding a line here; a route cannot exist without stating who may call it.

import { CommitRequest, SessionParams, StartBackupRequest } from '../../../core/src/api/backup.js';
import { FindQuery, GroupParams, PathQuery, SnapshotListQuery, SnapshotObjectParams, SnapshotParams } from '../../../core/src/api/snapshots.js';
import { CreateTokenRequest, TokenIdParams } from '../../../core/src/api/tokens.js';
import { AcknowledgeRequest, DiskListQuery, DiskParams } from '../../../core/src/api/disks.js';
import { HistoryQuery, SelfTestRequest } from '../../../core/src/api/smart.js';
import { AlertAckRequest, AlertListQuery, JobIdParams, ScheduledJobList, TaskGetQuery, TaskListQuery } from '../../../core/src/api/jobs.js';
import { LoginRequest, SetupRequest } from '../../../core/src/api/auth.js';
import { PreviewRequest, PruneRequest, RetentionPolicy } from '../../../core/src/api/retention.js';
import { PlanEntryInput } from '../../../core/src/api/plan.js';
import { NotifyTargetInput, NotifyTargetParams } from '../../../core/src/api/notify.js';
import { LIVE_PATH } from '../../../core/src/api/live.js';
import { GcStartResponse, GcStatus } from '../../../core/src/api/gc.js';
import { DrillStartResponse, DrillStatus } from '../../../core/src/api/drills.js';
import { VerifyStartRequest, VerifyStartResponse, VerifyStatus } from '../../../core/src/api/verify.js';
import { RepairReport, RepairRequest } from '../../../core/src/api/repair.js';
import { ReportQuery } from '../../../core/src/api/reports.js';
import type { reportRoutes } from './routes/reports.js';
import type { archiveRoutes } from './routes/archive.js';
import type { authRoutes } from './routes/auth.js';
import type { liveRoutes } from './routes/live.js';
import type { uiRoutes } from './routes/ui-static.js';
import { AddDeviceRequest, CreatePoolRequest, DevidParams } from '../../../core/src/api/pool.js';
import { ConfirmSwapRequest, StartSwapRequest, SwapIdParams } from '../../../core/src/api/swap.js';
import type { backupRoutes } from './routes/backups.js';
import type { diskRoutes } from './routes/disks.js';
import type { gcRoutes } from './routes/gc.js';
import type { verifyRoutes } from './routes/verify.js';
import type { drillRoutes } from './routes/drills.js';
import type { alertRoutes, scheduledJobRoutes, taskRoutes } from './routes/jobs.js';
import type { healthRoutes } from './routes/health.js';
import type { notifyRoutes } from './routes/notify.js';
import type { planRoutes } from './routes/plan.js';
import type { poolRoutes } from './routes/pool.js';
import type { retentionRoutes } from './routes/retention.js';
import type { swapRoutes } from './routes/swaps.js';
import type { snapshotRoutes } from './routes/snapshots.js';
import type { systemRoutes } from './routes/system.js';
import type { tokenRoutes } from './routes/tokens.js';
import type { replicationSourceRoutes } from './routes/replication-source.js';
import { LagHistoryQuery } from '../../../core/src/api/peer-activity.js';
import { AddPeerRequest, ChangesQuery, PeerNameParams, ReplicateRequest, UpdatePeerRequest } from '../../../core/src/api/replication.js';
import type { peerActivityRoutes } from './routes/peer-activity.js';
import type { peerRoutes } from './routes/peers.js';
import { ADMIN, AUTHENTICATED, METRICS, PUBLIC, REPLICATE, route, type AuthPolicy, type Route } from './route-types.js';

export interface RouteHandlers {
  health: ReturnType<typeof healthRoutes>;
  backups: ReturnType<typeof backupRoutes>;
  snapshots: ReturnType<typeof snapshotRoutes>;
  tokens: ReturnType<typeof tokenRoutes>;
  disks: ReturnType<typeof diskRoutes>;
  tasks: ReturnType<typeof taskRoutes>;
  alerts: ReturnType<typeof alertRoutes>;
  jobs: ReturnType<typeof scheduledJobRoutes>;
  system: ReturnType<typeof systemRoutes>;
  auth: ReturnType<typeof authRoutes>;
  live: ReturnType<typeof liveRoutes>;
  archive: ReturnType<typeof archiveRoutes>;
  ui: ReturnType<typeof uiRoutes>;
  pool: ReturnType<typeof poolRoutes>;
  swaps: ReturnType<typeof swapRoutes>;
  retention: ReturnType<typeof retentionRoutes>;
  plan: ReturnType<typeof planRoutes>;
  notify: ReturnType<typeof notifyRoutes>;
  gc: ReturnType<typeof gcRoutes>;
  verify: ReturnType<typeof verifyRoutes>;
  drills: ReturnType<typeof drillRoutes>;
  reports: ReturnType<typeof reportRoutes>;
  replicationSource: ReturnType<typeof replicationSourceRoutes>;
  peers: ReturnType<typeof peerRoutes>;
  peerActivity: ReturnType<typeof peerActivityRoutes>;
}

export function routeTable(h: RouteHandlers, limits: { maxHasDigests: number; maxObjectsPerRequest: number }): Route[] {
  // Writing (a backup session) needs `backup:<group>`; reading a group's snapshots also lets a
  // replication token that covers the group in.
  const sessionGroup: AuthPolicy<{ params: typeof SessionParams }> = { kind: 'group', access: 'write', from: 'session', group: (req) => h.backups.sessionGroup(req.params.id) };
  const bodyGroup: AuthPolicy<{ body: typeof StartBackupRequest }> = { kind: 'group', access: 'write', from: 'body', group: (req) => req.body.group };
  const paramGroup: AuthPolicy<{ params: typeof GroupParams }> = { kind: 'group', access: 'read', from: 'params', group: (req) => req.params.group };
  const snapshotGroup: AuthPolicy<{ params: typeof SnapshotParams }> = { kind: 'group', access: 'read', from: 'snapshot', group: (req) => h.snapshots.snapshotGroup(req.params.id) };

  return [
    route({ method: 'GET', url: '/api/v1/health', auth: PUBLIC, handler: h.health.get }),

    // admin accounts and browser sessions (setup answers only until an admin exists)
    route({ method: 'GET', url: '/api/v1/auth/status', auth: PUBLIC, handler: h.auth.status }),
    route({ method: 'POST', url: '/api/v1/setup', auth: PUBLIC, schema: { body: SetupRequest }, handler: h.auth.setup }),
    route({ method: 'POST', url: '/api/v1/auth/login', auth: PUBLIC, schema: { body: LoginRequest }, handler: h.auth.login }),
    route({ method: 'POST', url: '/api/v1/auth/logout', auth: AUTHENTICATED, handler: h.auth.logout }),
    route({ method: 'GET', url: '/api/v1/auth/session', auth: AUTHENTICATED, handler: h.auth.whoami }),
    // live state and events for the UI: one WebSocket
    route({ method: 'GET', url: LIVE_PATH, auth: ADMIN, handler: h.live.upgradeRequired, wsHandler: h.live.connect }),

    // push protocol
    route({ method: 'POST', url: '/api/v1/backups', auth: bodyGroup, schema: { body: StartBackupRequest }, handler: h.backups.start }),
    route({ method: 'GET', url: '/api/v1/backups/:id', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.get }),
    route({
      method: 'POST', url: '/api/v1/backups/:id/has', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.has,
      options: { bodyLimit: limits.maxHasDigests * 32 },
    }),
    route({ method: 'POST', url: '/api/v1/backups/:id/chunks', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.chunks }),
    route({ method: 'POST', url: '/api/v1/backups/:id/commit', auth: sessionGroup, schema: { params: SessionParams, body: CommitRequest }, handler: h.backups.commit }),
    route({ method: 'DELETE', url: '/api/v1/backups/:id', auth: sessionGroup, schema: { params: SessionParams }, handler: h.backups.abort }),

    // reading back
    route({ method: 'GET', url: '/api/v1/groups', auth: AUTHENTICATED, handler: h.snapshots.groups }),
    route({ method: 'GET', url: '/api/v1/groups/:group/snapshots', auth: paramGroup, schema: { params: GroupParams, querystring: SnapshotListQuery }, handler: h.snapshots.list }),
    route({ method: 'GET', url: '/api/v1/groups/:group/find', auth: paramGroup, schema: { params: GroupParams, querystring: FindQuery }, handler: h.snapshots.find }),
    route({ method: 'GET', url: '/api/v1/snapshots/:id', auth: snapshotGroup, schema: { params: SnapshotParams }, handler: h.snapshots.one }),
    route({ method: 'DELETE', url: '/api/v1/snapshots/:id', auth: ADMIN, schema: { params: SnapshotParams }, handler: h.snapshots.remove }),
    // a protected snapshot is never deleted or pruned until unprotected (issue 13)
    route({ method: 'POST', url: '/api/v1/snapshots/:id/protect', auth: ADMIN, schema: { params: SnapshotParams }, handler: h.snapshots.protect }),
    route({ method: 'POST', url: '/api/v1/snapshots/:id/unprotect', auth: ADMIN, schema: { params: SnapshotParams }, handler: h.snapshots.unprotect }),
    route({
      method: 'GET', url: '/api/v1/snapshots/:id/objects/:digest', auth: snapshotGroup,
      schema: { params: SnapshotObjectParams }, handler: h.snapshots.object,
    }),
    route({
      method: 'POST', url: '/api/v1/snapshots/:id/objects', auth: snapshotGroup, schema: { params: SnapshotParams }, handler: h.snapshots.objects,
      options: { bodyLimit: limits.maxObjectsPerRequest * 32 },
    }),
    route({ method: 'GET', url: '/api/v1/snapshots/:id/tree', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.snapshots.tree }),
    route({ method: 'GET', url: '/api/v1/snapshots/:id/content', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.snapshots.content }),
    // what an offsite peer reads (issue 14): the feed of the groups its token covers, raw records
    route({
      method: 'GET', url: '/api/v1/replication/changes', auth: REPLICATE,
      schema: { querystring: ChangesQuery }, handler: h.replicationSource.changes,
    }),
    route({ method: 'GET', url: '/api/v1/snapshots/:id/record', auth: snapshotGroup, schema: { params: SnapshotParams }, handler: h.replicationSource.record }),
    route({ method: 'GET', url: '/api/v1/snapshots/:id/archive', auth: snapshotGroup, schema: { params: SnapshotParams, querystring: PathQuery }, handler: h.archive.get }),

    // administration
    route({ method: 'GET', url: '/api/v1/tokens', auth: ADMIN, handler: h.tokens.list }),
    route({ method: 'POST', url: '/api/v1/tokens', auth: ADMIN, schema: { body: CreateTokenRequest }, handler: h.tokens.create }),
    route({ method: 'GET', url: '/api/v1/system/tls', auth: AUTHENTICATED, handler: h.system.tls }),
    // capacity, free space and the reserve below which uploads are refused (STORAGE_FULL)
    route({ method: 'GET', url: '/api/v1/datastore', auth: ADMIN, handler: h.system.datastore }),
    // Prometheus' conventional path; a `metrics` token (or admin) reads it, nothing else.
    route({ method: 'GET', url: '/metrics', auth: METRICS, handler: h.system.metrics }),
    route({ method: 'DELETE', url: '/api/v1/tokens/:id', auth: ADMIN, schema: { params: TokenIdParams }, handler: h.tokens.revoke }),

    // disks (reading is for admins too: serials and locations are the appliance's business)
    route({ method: 'GET', url: '/api/v1/disks', auth: ADMIN, schema: { querystring: DiskListQuery }, handler: h.disks.list }),
    route({ method: 'GET', url: '/api/v1/disks/:id', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.one }),
    route({ method: 'DELETE', url: '/api/v1/disks/:id', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.purge }),
    route({ method: 'GET', url: '/api/v1/disks/:id/smart', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.smart }),
    route({ method: 'POST', url: '/api/v1/disks/:id/smart/check', auth: ADMIN, schema: { params: DiskParams }, handler: h.disks.check }),
    route({ method: 'GET', url: '/api/v1/disks/:id/history', auth: ADMIN, schema: { params: DiskParams, querystring: HistoryQuery }, handler: h.disks.history }),
    route({ method: 'POST', url: '/api/v1/disks/:id/acknowledge', auth: ADMIN, schema: { params: DiskParams, body: AcknowledgeRequest }, handler: h.disks.acknowledge }),
    route({ method: 'POST', url: '/api/v1/disks/:id/selftest', auth: ADMIN, schema: { params: DiskParams, body: SelfTestRequest }, handler: h.disks.selfTest }),

    // tasks and alerts
    route({ method: 'GET', url: '/api/v1/tasks', auth: ADMIN, schema: { querystring: TaskListQuery }, handler: h.tasks.list }),
    route({ method: 'GET', url: '/api/v1/tasks/:id', auth: ADMIN, schema: { params: JobIdParams, querystring: TaskGetQuery }, handler: h.tasks.one }),
    route({ method: 'POST', url: '/api/v1/tasks/:id/cancel', auth: ADMIN, schema: { params: JobIdParams }, handler: h.tasks.cancel }),
    // every schedule the appliance runs, with next runs, last results and the route that runs it now
    route({ method: 'GET', url: '/api/v1/jobs', auth: ADMIN, schema: { response: { 200: ScheduledJobList } }, handler: h.jobs.list }),
    route({ method: 'GET', url: '/api/v1/alerts', auth: ADMIN, schema: { querystring: AlertListQuery }, handler: h.alerts.list }),
    route({
      method: 'POST', url: '/api/v1/alerts/:id/acknowledge', auth: ADMIN,
      schema: { params: JobIdParams, body: AlertAckRequest }, handler: h.alerts.acknowledge,
    }),
    // retention policies per group, their preview, and prune (deletes snapshots; reclaims no space)
    route({ method: 'GET', url: '/api/v1/retention', auth: ADMIN, handler: h.retention.list }),
    route({ method: 'GET', url: '/api/v1/retention/:group', auth: ADMIN, schema: { params: GroupParams }, handler: h.retention.one }),
    route({ method: 'PUT', url: '/api/v1/retention/:group', auth: ADMIN, schema: { params: GroupParams, body: RetentionPolicy }, handler: h.retention.set }),
    route({ method: 'DELETE', url: '/api/v1/retention/:group', auth: ADMIN, schema: { params: GroupParams }, handler: h.retention.clear }),
    route({
      method: 'POST', url: '/api/v1/retention/:group/preview', auth: ADMIN,
      schema: { params: GroupParams, body: PreviewRequest }, handler: h.retention.preview,
    }),
    route({ method: 'POST', url: '/api/v1/prune', auth: ADMIN, schema: { body: PruneRequest }, handler: h.retention.run }),
    // garbage collection: status and history, and a run on demand (one at a time, as a task)
    route({ method: 'GET', url: '/api/v1/gc', auth: ADMIN, schema: { response: { 200: GcStatus } }, handler: h.gc.status }),
    route({ method: 'POST', url: '/api/v1/gc', auth: ADMIN, schema: { response: { 202: GcStartResponse } }, handler: h.gc.start }),
    route({ method: 'GET', url: '/api/v1/verify', auth: ADMIN, schema: { response: { 200: VerifyStatus } }, handler: h.verify.status }),
    route({ method: 'POST', url: '/api/v1/verify', auth: ADMIN, schema: { body: VerifyStartRequest, response: { 202: VerifyStartResponse } }, handler: h.verify.start }),
    route({ method: 'POST', url: '/api/v1/store/repair', auth: ADMIN, schema: { body: RepairRequest, response: { 200: RepairReport } }, handler: h.verify.repair }),
    route({ method: 'GET', url: '/api/v1/drills', auth: ADMIN, schema: { response: { 200: DrillStatus } }, handler: h.drills.status }),
    route({ method: 'POST', url: '/api/v1/drills/:group', auth: ADMIN, schema: { params: GroupParams, response: { 202: DrillStartResponse } }, handler: h.drills.start }),
    // reports over a period, per group and datastore, as JSON or CSV (issue 15)
    route({ method: 'GET', url: '/api/v1/reports', auth: ADMIN, schema: { querystring: ReportQuery }, handler: h.reports.get }),
    // the offsite's replication peers (issue 14): the sources it pulls from, and a pull now
    route({ method: 'GET', url: '/api/v1/peers', auth: ADMIN, handler: h.peers.list }),
    route({ method: 'POST', url: '/api/v1/peers', auth: ADMIN, schema: { body: AddPeerRequest }, handler: h.peers.add }),
    route({ method: 'GET', url: '/api/v1/peers/:name', auth: ADMIN, schema: { params: PeerNameParams }, handler: h.peers.one }),
    route({ method: 'DELETE', url: '/api/v1/peers/:name', auth: ADMIN, schema: { params: PeerNameParams }, handler: h.peers.remove }),
    route({ method: 'PATCH', url: '/api/v1/peers/:name', auth: ADMIN, schema: { params: PeerNameParams, body: UpdatePeerRequest }, handler: h.peers.update }),
    route({
      method: 'POST', url: '/api/v1/peers/:name/replicate', auth: ADMIN,
      schema: { params: PeerNameParams, body: ReplicateRequest }, handler: h.peers.replicate,
    }),
    route({ method: 'POST', url: '/api/v1/peers/:name/pause', auth: ADMIN, schema: { params: PeerNameParams }, handler: h.peerActivity.pause }),
    route({ method: 'POST', url: '/api/v1/peers/:name/resume', auth: ADMIN, schema: { params: PeerNameParams }, handler: h.peerActivity.resume }),
    route({ method: 'GET', url: '/api/v1/peers/:name/queue', auth: ADMIN, schema: { params: PeerNameParams }, handler: h.peerActivity.queue }),
    route({
      method: 'GET', url: '/api/v1/peers/:name/lag-history', auth: ADMIN,
      schema: { params: PeerNameParams, querystring: LagHistoryQuery }, handler: h.peerActivity.lagHistory,
    }),

    // the protection plan with RPO states; enrolment creates a backup:<group> token (issue 15)
    route({ method: 'GET', url: '/api/v1/plan', auth: ADMIN, handler: h.plan.list }),
    route({ method: 'GET', url: '/api/v1/plan/:group', auth: ADMIN, schema: { params: GroupParams }, handler: h.plan.one }),
    route({ method: 'PUT', url: '/api/v1/plan/:group', auth: ADMIN, schema: { params: GroupParams, body: PlanEntryInput }, handler: h.plan.set }),
    route({ method: 'DELETE', url: '/api/v1/plan/:group', auth: ADMIN, schema: { params: GroupParams }, handler: h.plan.remove }),
    route({ method: 'POST', url: '/api/v1/plan/:group/enroll', auth: ADMIN, schema: { params: GroupParams }, handler: h.plan.enroll }),
    // notification targets, a test send, the outbox
    route({ method: 'GET', url: '/api/v1/notify/targets', auth: ADMIN, handler: h.notify.list }),
    route({
      method: 'PUT', url: '/api/v1/notify/targets/:name', auth: ADMIN,
      schema: { params: NotifyTargetParams, body: NotifyTargetInput }, handler: h.notify.set,
    }),
    route({ method: 'DELETE', url: '/api/v1/notify/targets/:name', auth: ADMIN, schema: { params: NotifyTargetParams }, handler: h.notify.remove }),
    route({ method: 'POST', url: '/api/v1/notify/targets/:name/test', auth: ADMIN, schema: { params: NotifyTargetParams }, handler: h.notify.test }),
    route({ method: 'GET', url: '/api/v1/notify/outbox', auth: ADMIN, handler: h.notify.messages }),

    // the storage pool (creating it and adding members wipe disks: admins only, like all of it)
    route({ method: 'GET', url: '/api/v1/pool', auth: ADMIN, handler: h.pool.status }),
    route({ method: 'POST', url: '/api/v1/pool', auth: ADMIN, schema: { body: CreatePoolRequest }, handler: h.pool.create }),
    route({ method: 'POST', url: '/api/v1/pool/scrub', auth: ADMIN, handler: h.pool.scrub }),
    route({ method: 'POST', url: '/api/v1/pool/devices', auth: ADMIN, schema: { body: AddDeviceRequest }, handler: h.pool.addDevice }),
    route({ method: 'DELETE', url: '/api/v1/pool/devices/:devid', auth: ADMIN, schema: { params: DevidParams }, handler: h.pool.removeDevice }),

    // the guided disk swap (one screen per step in the UI; every action says what it refuses)
    route({ method: 'GET', url: '/api/v1/swaps', auth: ADMIN, handler: h.swaps.list }),
    route({ method: 'POST', url: '/api/v1/swaps', auth: ADMIN, schema: { body: StartSwapRequest }, handler: h.swaps.start }),
    route({ method: 'GET', url: '/api/v1/swaps/:id', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.one }),
    route({ method: 'POST', url: '/api/v1/swaps/:id/confirm', auth: ADMIN, schema: { params: SwapIdParams, body: ConfirmSwapRequest }, handler: h.swaps.confirm }),
    route({ method: 'POST', url: '/api/v1/swaps/:id/cancel', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.cancel }),
    route({ method: 'POST', url: '/api/v1/swaps/:id/retry', auth: ADMIN, schema: { params: SwapIdParams }, handler: h.swaps.retry }),

    // the admin UI's static files; any other GET outside /api gets index.html (history routes)
    route({ method: 'GET', url: '/*', auth: PUBLIC, handler: h.ui.get }),
  ];
}
