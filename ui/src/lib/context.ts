// The app's services, created once in App.svelte and handed to pages through Svelte's
// context (no module singletons): pages call app() to reach them.

import { getContext, setContext } from 'svelte';
import type { Http } from './api/http.js';
import type {
  AuthService, BackupsService, DisksService, GcService, JobsService, NotifyService, PlanService, PoolService, ReplicationService, ReportsService, RetentionService, SwapService, TokensService,
} from './api/services.js';
import type { AuthStore } from './auth.svelte.js';
import type { LiveStore } from './live.svelte.js';
import type { Router } from './router.svelte.js';

export interface AppContext {
  http: Http;
  auth: AuthStore;
  authService: AuthService;
  live: LiveStore;
  router: Router;
  backups: BackupsService;
  tokens: TokensService;
  disks: DisksService;
  jobs: JobsService;
  pool: PoolService;
  swaps: SwapService;
  retention: RetentionService;
  plan: PlanService;
  notify: NotifyService;
  gc: GcService;
  replication: ReplicationService;
  reports: ReportsService;
}

const KEY = Symbol('haven-app');

export function provideApp(ctx: AppContext): void {
  setContext(KEY, ctx);
}

export function app(): AppContext {
  return getContext<AppContext>(KEY);
}
