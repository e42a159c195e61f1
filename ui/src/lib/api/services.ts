// One small service per API area (after pocket-id's frontend/src/lib/services): the payload
// types come from core/src/api, exactly as the daemon declares them.

import type { AuthStatus, LoginRequest, SessionUser, SetupRequest } from '$core/api/auth.js';
import type { FindResult, GroupList, SnapshotDetail, SnapshotList, SnapshotSummary, TreeListing } from '$core/api/snapshots.js';
import type { CreateTokenRequest, CreateTokenResponse, TokenInfo } from '$core/api/tokens.js';
import type { DiskRecord } from '$core/api/disks.js';
import type { AlertInfo, RunNowRoute, ScheduledJobList, TaskInfo } from '$core/api/jobs.js';
import type { DrillStartResponse, DrillStatus } from '$core/api/drills.js';
import type { PoolStatus } from '$core/api/pool.js';
import type { HistoryResponse, SmartReport } from '$core/api/smart.js';
import type { ConfirmSwapRequest, StartSwapRequest, SwapInfo, SwapList } from '$core/api/swap.js';
import type { GcStartResponse, GcStatus } from '$core/api/gc.js';
import type { PolicyList, PreviewResponse, PruneResponse, RetentionPolicy, StoredPolicy } from '$core/api/retention.js';
import type { LagHistory, PeerQueue } from '$core/api/peer-activity.js';
import type { AddPeerRequest, PeerList, PeerStatus, ReplicateResponse, UpdatePeerRequest } from '$core/api/replication.js';
import type { Enrolment, PlanEntryInput, PlanEntryStatus, PlanList } from '$core/api/plan.js';
import type { NotifyList, NotifyTarget, NotifyTargetInput, OutboxList, TestSendResult } from '$core/api/notify.js';
import type { Report, ReportFormat } from '$core/api/reports.js';
import type { Http } from './http.js';

const V1 = '/api/v1';

export class AuthService {
  constructor(private readonly http: Http) {}
  status = (): Promise<AuthStatus> => this.http.get(`${V1}/auth/status`);
  setup = (req: SetupRequest): Promise<SessionUser> => this.http.post(`${V1}/setup`, req);
  login = (req: LoginRequest): Promise<SessionUser> => this.http.post(`${V1}/auth/login`, req);
  logout = (): Promise<void> => this.http.post(`${V1}/auth/logout`);
  session = (): Promise<SessionUser> => this.http.get(`${V1}/auth/session`);
}

function pathQuery(path: string): string {
  return `path=${encodeURIComponent(path)}`;
}

export class BackupsService {
  constructor(private readonly http: Http) {}
  groups = (): Promise<GroupList> => this.http.get(`${V1}/groups`);
  /** A group's snapshots, oldest first; with `last`, only the newest `last` (and the group's total). */
  snapshots = (group: string, last?: number): Promise<SnapshotList> =>
    this.http.get(`${V1}/groups/${encodeURIComponent(group)}/snapshots${last === undefined ? '' : `?last=${last}`}`);
  /** One snapshot with the warnings its backup reported. */
  snapshot = (id: string): Promise<SnapshotDetail> => this.http.get(`${V1}/snapshots/${id}`);
  tree = (id: string, path: string): Promise<TreeListing> => this.http.get(`${V1}/snapshots/${id}/tree?${pathQuery(path)}`);
  /** Entries whose name (or, with a /, stored path) matches a shell glob, across the group's snapshots, newest first. */
  find = (group: string, pattern: string): Promise<FindResult> =>
    this.http.get(`${V1}/groups/${encodeURIComponent(group)}/find?pattern=${encodeURIComponent(pattern)}`);
  remove = (id: string): Promise<void> => this.http.del(`${V1}/snapshots/${id}`);
  /** Protected snapshots are never deleted or pruned until unprotected (admin). */
  protect = (id: string): Promise<SnapshotSummary> => this.http.post(`${V1}/snapshots/${id}/protect`);
  unprotect = (id: string): Promise<SnapshotSummary> => this.http.post(`${V1}/snapshots/${id}/unprotect`);
  /** Downloads are plain navigations (the cookie rides along), so they stream to disk. */
  contentUrl = (id: string, path: string): string => `${V1}/snapshots/${id}/content?${pathQuery(path)}`;
  archiveUrl = (id: string, path: string): string => `${V1}/snapshots/${id}/archive?${pathQuery(path)}`;
}

export class TokensService {
  constructor(private readonly http: Http) {}
  list = (): Promise<{ tokens: TokenInfo[] }> => this.http.get(`${V1}/tokens`);
  create = (req: CreateTokenRequest): Promise<CreateTokenResponse> => this.http.post(`${V1}/tokens`, req);
  revoke = (id: string): Promise<void> => this.http.del(`${V1}/tokens/${id}`);
}

export class DisksService {
  constructor(private readonly http: Http) {}
  smart = (id: string): Promise<SmartReport> => this.http.get(`${V1}/disks/${id}/smart`);
  history = (id: string, fromMs: number): Promise<HistoryResponse> => this.http.get(`${V1}/disks/${id}/history?from=${fromMs}`);
  check = (id: string): Promise<SmartReport> => this.http.post(`${V1}/disks/${id}/smart/check`);
  acknowledge = (id: string, note: string): Promise<DiskRecord> => this.http.post(`${V1}/disks/${id}/acknowledge`, { note });
  selfTest = (id: string, kind: 'short' | 'long'): Promise<TaskInfo> => this.http.post(`${V1}/disks/${id}/selftest`, { kind });
}

export class JobsService {
  constructor(private readonly http: Http) {}
  acknowledgeAlert = (id: string, note: string): Promise<AlertInfo> => this.http.post(`${V1}/alerts/${id}/acknowledge`, { note });
  cancelTask = (id: string): Promise<TaskInfo> => this.http.post(`${V1}/tasks/${id}/cancel`);
  /** Every schedule the appliance runs, with next runs and last results. */
  scheduled = (): Promise<ScheduledJobList> => this.http.get(`${V1}/jobs`);
  /** A job's history: the tasks of its kind (and subject), newest first. */
  tasks = (kind: string, subject: string | null, limit = 20): Promise<{ tasks: TaskInfo[] }> =>
    this.http.get(`${V1}/tasks?${new URLSearchParams({ kind, limit: String(limit), ...(subject === null ? {} : { subject }) }).toString()}`);
  /** Sends the job's own on-demand route, as GET /jobs names it. */
  runNow = (route: RunNowRoute): Promise<unknown> => this.http.request(route.method, route.path, route.body);
}

/** Recovery drills (issue 15; admin only): status with the history, and a drill of a group now. */
export class DrillsService {
  constructor(private readonly http: Http) {}
  status = (): Promise<DrillStatus> => this.http.get(`${V1}/drills`);
  /** Starts a drill as a task (or answers the one running); its progress comes over the live socket. */
  start = (group: string): Promise<DrillStartResponse> => this.http.post(`${V1}/drills/${encodeURIComponent(group)}`);
}

export class PoolService {
  constructor(private readonly http: Http) {}
  status = (): Promise<PoolStatus> => this.http.get(`${V1}/pool`);
  scrub = (): Promise<TaskInfo> => this.http.post(`${V1}/pool/scrub`);
}

/** The guided disk swap. The routes follow issue 5's API as planned; check them when it lands. */
export class SwapService {
  constructor(private readonly http: Http) {}
  list = (): Promise<SwapList> => this.http.get(`${V1}/swaps`);
  start = (req: StartSwapRequest): Promise<SwapInfo> => this.http.post(`${V1}/swaps`, req);
  confirm = (id: string, req: ConfirmSwapRequest): Promise<SwapInfo> => this.http.post(`${V1}/swaps/${id}/confirm`, req);
  cancel = (id: string): Promise<SwapInfo> => this.http.post(`${V1}/swaps/${id}/cancel`);
  retry = (id: string): Promise<SwapInfo> => this.http.post(`${V1}/swaps/${id}/retry`);
}

/** Retention policies per group, their preview and prune (issue 13; admin only). */
export class RetentionService {
  constructor(private readonly http: Http) {}
  private url = (group: string): string => `${V1}/retention/${encodeURIComponent(group)}`;
  list = (): Promise<PolicyList> => this.http.get(`${V1}/retention`);
  /**
   * The group's stored policy, or null when it has none (it is then never pruned). Read from
   * the list: GET /retention/:group answers such a group with a 404, which the browser logs
   * as a console error although nothing is wrong.
   */
  get = async (group: string): Promise<StoredPolicy | null> => (await this.list()).policies.find((p) => p.group === group) ?? null;
  set = (group: string, policy: RetentionPolicy): Promise<StoredPolicy> => this.http.put(this.url(group), policy);
  clear = (group: string): Promise<void> => this.http.del(this.url(group));
  /** Every snapshot's fate under `policy` (unsaved), else under the stored policy. */
  preview = (group: string, policy?: RetentionPolicy): Promise<PreviewResponse> =>
    this.http.post(`${this.url(group)}/preview`, policy === undefined ? {} : { policy });
  /** Prunes the group with its stored policy, as a task; answers once its deletions are committed. */
  prune = (group: string): Promise<PruneResponse> => this.http.post(`${V1}/prune`, { group });
}

/** The protection plan: entries with their RPO states, unplanned groups, enrolment (issue 15). */
export class PlanService {
  constructor(private readonly http: Http) {}
  private url = (group: string): string => `${V1}/plan/${encodeURIComponent(group)}`;
  list = (): Promise<PlanList> => this.http.get(`${V1}/plan`);
  /** Adds or replaces the group's entry (its creation time is kept). */
  set = (group: string, input: PlanEntryInput): Promise<PlanEntryStatus> => this.http.put(this.url(group), input);
  remove = (group: string): Promise<void> => this.http.del(this.url(group));
  /** Creates a fresh backup:<group> token: the answer is the only time it is shown. */
  enroll = (group: string): Promise<Enrolment> => this.http.post(`${this.url(group)}/enroll`);
}

/** Notification targets, their test send and the outbox (issue 15). */
export class NotifyService {
  constructor(private readonly http: Http) {}
  private url = (name: string): string => `${V1}/notify/targets/${encodeURIComponent(name)}`;
  list = (): Promise<NotifyList> => this.http.get(`${V1}/notify/targets`);
  set = (name: string, input: NotifyTargetInput): Promise<NotifyTarget> => this.http.put(this.url(name), input);
  remove = (name: string): Promise<void> => this.http.del(this.url(name));
  test = (name: string): Promise<TestSendResult> => this.http.post(`${this.url(name)}/test`);
  outbox = (): Promise<OutboxList> => this.http.get(`${V1}/notify/outbox`);
}

/** Garbage collection (issue 13; admin only): status with the history of runs, and a run now. */
export class GcService {
  constructor(private readonly http: Http) {}
  status = (): Promise<GcStatus> => this.http.get(`${V1}/gc`);
  /** Starts a run as a task (or answers the one already running); its progress comes over the live socket. */
  start = (): Promise<GcStartResponse> => this.http.post(`${V1}/gc`);
}

/** The offsite's replication peers (issue 14; admin only): their status, a pull now, their settings. */
export class ReplicationService {
  constructor(private readonly http: Http) {}
  list = (): Promise<PeerList> => this.http.get(`${V1}/peers`);
  /** Starts a full pull as a task (or answers the one running); its progress comes over the live socket. */
  replicate = (name: string): Promise<ReplicateResponse> => this.http.post(`${V1}/peers/${encodeURIComponent(name)}/replicate`, {});
  /** Edits a peer's limits, windows and deletion propagation, or lifts its deletion brake (`deletesPaused: false`). */
  update = (name: string, req: UpdatePeerRequest): Promise<PeerStatus> => this.http.request('PATCH', `${V1}/peers/${encodeURIComponent(name)}`, req);
  /** Adds a peer (the daemon asks the source for its groups first: a wrong URL or token fails here). */
  add = (req: AddPeerRequest): Promise<PeerStatus> => this.http.post(`${V1}/peers`, req);
  remove = (name: string): Promise<void> => this.http.del(`${V1}/peers/${encodeURIComponent(name)}`);
  pause = (name: string): Promise<PeerStatus> => this.http.post(`${V1}/peers/${encodeURIComponent(name)}/pause`, {});
  resume = (name: string): Promise<PeerStatus> => this.http.post(`${V1}/peers/${encodeURIComponent(name)}/resume`, {});
  /** What the offsite lacks of the source (the daemon asks the source now). */
  queue = (name: string): Promise<PeerQueue> => this.http.get(`${V1}/peers/${encodeURIComponent(name)}/queue`);
  lagHistory = (name: string): Promise<LagHistory> => this.http.get(`${V1}/peers/${encodeURIComponent(name)}/lag-history`);
}

/** Reports over a period (issue 15; admin only): JSON here, and the URL a download link uses for either format. */
export class ReportsService {
  constructor(private readonly http: Http) {}
  /** since/until: dates (`2026-12-01`), ISO times, or for since a duration back (`30d`); absent: the last 7 days. */
  url = (q: { group?: string | null; since?: string; until?: string }, format: ReportFormat = 'json'): string => {
    const params = new URLSearchParams();
    if (q.group) params.set('group', q.group);
    if (q.since) params.set('since', q.since);
    if (q.until) params.set('until', q.until);
    if (format !== 'json') params.set('format', format);
    const query = params.toString();
    return `${V1}/reports${query ? `?${query}` : ''}`;
  };
  get = (q: { group?: string | null; since?: string; until?: string }): Promise<Report> => this.http.get(this.url(q));
}
