// Tasks (long-running operations with progress and a log) and alerts on the wire.

import { Type, type Static } from 'typebox';

export const TaskStatus = Type.Union([
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
  /** The daemon stopped while the task ran. */
  Type.Literal('interrupted'),
]);
export type TaskStatus = Static<typeof TaskStatus>;

export const TaskLogLine = Type.Object({ t: Type.Number(), level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]), message: Type.String() });
export type TaskLogLine = Static<typeof TaskLogLine>;

export const TaskInfo = Type.Object({
  id: Type.String(),
  /** e.g. `smart.selftest`, `pool.scrub`, `disk.swap`. */
  kind: Type.String(),
  /** What it works on (a disk id, a pool name), for filtering. */
  subject: Type.Union([Type.String(), Type.Null()]),
  title: Type.String(),
  status: TaskStatus,
  /** 0..1, or null when the task cannot tell. */
  progress: Type.Union([Type.Number(), Type.Null()]),
  progressMessage: Type.Union([Type.String(), Type.Null()]),
  started: Type.String(),
  ended: Type.Union([Type.String(), Type.Null()]),
  /** Why it failed (or the final summary). */
  result: Type.Union([Type.String(), Type.Null()]),
  /** The most recent lines (bounded); `logDropped` counts older lines no longer kept. */
  log: Type.Array(TaskLogLine),
  logDropped: Type.Integer(),
});
export type TaskInfo = Static<typeof TaskInfo>;

export const TaskList = Type.Object({ tasks: Type.Array(TaskInfo) });
export const TaskListQuery = Type.Object({
  kind: Type.Optional(Type.String({ maxLength: 64 })),
  subject: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

/** GET /tasks/:id?wait=S answers when the task ends, or after S seconds with it still running (a long poll). */
export const TaskGetQuery = Type.Object({ wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })) });

export const AlertSeverity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type AlertSeverity = Static<typeof AlertSeverity>;

export const AlertInfo = Type.Object({
  id: Type.String(),
  /** Stable key of the condition (`disk.smart:<diskId>`, `pool.degraded:<pool>`): one open alert per key. */
  key: Type.String(),
  severity: AlertSeverity,
  /** The backup group it concerns (`rpo.*` alerts), so notifications can be routed by group. */
  group: Type.Optional(Type.String()),
  /** What it is about, in a few words ("disk WDC WD140EDFZ serial 9RK1XXXX"). */
  subject: Type.String(),
  /** Plain language: what is wrong and what to do. */
  message: Type.String(),
  /** The numbers behind it; "worse" means a higher severity or any of these grew. */
  evidence: Type.Record(Type.String(), Type.Number()),
  raised: Type.String(),
  updated: Type.String(),
  /** Raised again after an acknowledgement because it got worse. */
  reraised: Type.Integer(),
  acknowledged: Type.Union([Type.Object({ at: Type.String(), by: Type.String(), note: Type.String() }), Type.Null()]),
  cleared: Type.Union([Type.String(), Type.Null()]),
});
export type AlertInfo = Static<typeof AlertInfo>;

export const AlertList = Type.Object({ alerts: Type.Array(AlertInfo) });
export const AlertListQuery = Type.Object({
  /** Include cleared alerts (most recent first); default false. */
  cleared: Type.Optional(Type.Boolean()),
});
export const AlertAckRequest = Type.Object({ note: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export type AlertAckRequest = Static<typeof AlertAckRequest>;

/** A task's or an alert's id in the URL. */
export const JobIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{1,16}-[0-9a-f]{8}$' }) });

// ---- the appliance's schedules (GET /api/v1/jobs, the Jobs page) ----

/** An existing route that runs a job now; the Jobs page's "Run now" sends exactly this. */
export const RunNowRoute = Type.Object({
  method: Type.Literal('POST'),
  path: Type.String(),
  body: Type.Record(Type.String(), Type.Unknown()),
});
export type RunNowRoute = Static<typeof RunNowRoute>;

export const JobResult = Type.Object({
  status: Type.Union([TaskStatus, Type.Literal('ok')]),
  /** ISO 8601: when that run ended (or started, while it runs). */
  at: Type.String(),
  /** The task's summary or the run's error; null for a plain run that went well. */
  message: Type.Union([Type.String(), Type.Null()]),
});
export type JobResult = Static<typeof JobResult>;

export const ScheduledJob = Type.Object({
  /** The scheduler's name (`store.gc`, `replication:<peer>`, `smart.poll`). */
  name: Type.String(),
  /** In words ("Garbage collection"). */
  title: Type.String(),
  /** A cron pattern, or `every N ms` for polls. */
  schedule: Type.String(),
  /** The next run (croner's nextRun for a cron job), null when none is due. */
  nextRun: Type.Union([Type.String(), Type.Null()]),
  running: Type.Boolean(),
  /** The last result: its task's final state for task-backed jobs, else the scheduler's last run. */
  lastResult: Type.Union([JobResult, Type.Null()]),
  /** The task kind (and subject) whose runs are this job's history; null for jobs that are not tasks. */
  history: Type.Union([Type.Object({ kind: Type.String(), subject: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  /** The dead-man switch: last success and whether it is overdue (null until its first check). */
  lastSuccess: Type.Union([Type.String(), Type.Null()]),
  overdue: Type.Boolean(),
  /** The on-demand route, or null when the job cannot run now as a whole (drills: per plan entry). */
  runNow: Type.Union([RunNowRoute, Type.Null()]),
});
export type ScheduledJob = Static<typeof ScheduledJob>;

export const ScheduledJobList = Type.Object({ jobs: Type.Array(ScheduledJob) });
export type ScheduledJobList = Static<typeof ScheduledJobList>;
