// The one catalogue of errors that cross a boundary (HTTP, CLI exit codes, UI messages).
// Codes are stable strings: clients and scripts match on them, so never rename one;
// add a new code instead. Modelled on fastify's lib/errors.js: code, status, message template.

export interface ErrorSpec {
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the error's params. */
  readonly message: string;
}

export const ERRORS = {
  // request shape
  VALIDATION_FAILED: { status: 400, message: 'Invalid request: {detail}' },
  BODY_TOO_LARGE: { status: 413, message: 'Request body exceeds {limit} bytes' },
  NOT_FOUND: { status: 404, message: 'No such route: {method} {url}' },
  // auth
  UNAUTHORIZED: { status: 401, message: 'A valid API token is required' },
  FORBIDDEN: { status: 403, message: 'This token lacks the scope {scope}' },
  SETUP_DONE: { status: 409, message: 'An admin account already exists' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts; retry in {seconds} s' },
  LOGIN_FAILED: { status: 401, message: 'Wrong user name or password' },
  SETUP_CODE_INVALID: { status: 403, message: 'The setup code is not the one havend printed' },
  AUTH_RATE_LIMITED: { status: 429, message: 'Too many failed authentications from this address; retry in {seconds} s' },
  CROSS_SITE_REFUSED: { status: 403, message: 'Refused a cross-site request (origin {origin}): the session cookie and the live socket serve this appliance\'s own pages only' },
  // sessions and ingest
  GROUP_INVALID: { status: 400, message: 'Invalid group name {group}: use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit' },
  SESSION_NOT_FOUND: { status: 404, message: 'No backup session {id}' },
  SESSION_CLOSED: { status: 409, message: 'Backup session {id} is already {state}' },
  HAS_BATCH_INVALID: { status: 400, message: 'A has batch is a whole number of 32-byte digests, at most {max}' },
  FRAME_MALFORMED: { status: 400, message: 'Malformed frame at byte {offset}: {detail}' },
  FRAME_TOO_LARGE: { status: 413, message: 'Frame at byte {offset} declares {size} bytes; the limit is {limit}' },
  FRAME_TORN: { status: 400, message: 'The stream ended inside a frame at byte {offset}; complete frames before it were kept' },
  UNKNOWN_KIND: { status: 400, message: 'Unknown or forbidden object kind {kind} in frame at byte {offset}' },
  UNKNOWN_CODEC: { status: 400, message: 'Unknown codec {codec} in frame at byte {offset}' },
  DIGEST_MISMATCH: { status: 422, message: 'Object content does not match its digest {digest}' },
  LENGTH_MISMATCH: { status: 422, message: 'Object {digest} does not decode to its declared {declared} bytes' },
  OBJECT_UNDECODABLE: { status: 422, message: 'Object {digest} of kind {kind} cannot be decoded: {detail}' },
  COMMIT_OUTRUN: {
    status: 503,
    message: 'Garbage collection removed objects under this commit\'s walk {walks} times running; nothing was committed, the session stays open: commit again',
  },
  MISSING_OBJECTS: { status: 409, message: '{count} object(s) reachable from the root are missing, first {first}' },
  OBJECTS_DAMAGED: { status: 409, message: '{count} object(s) reachable from the root are damaged on the appliance (quarantined), first {first}: upload them again' },
  TREE_TOO_DEEP: { status: 422, message: 'Directories nest deeper than {limit} levels below the root (tree {digest})' },
  UPLOAD_STALLED: { status: 408, message: 'The upload stream sent nothing for {ms} ms; the connection was closed and complete frames before it were kept' },
  // reads
  SNAPSHOT_NOT_FOUND: { status: 404, message: 'No snapshot {id}' },
  SNAPSHOT_AMBIGUOUS: { status: 409, message: 'Snapshot prefix {id} matches more than one snapshot' },
  SNAPSHOT_PROTECTED: { status: 409, message: 'Snapshot {id} is protected (by {by} since {since}); unprotect it first: havend snapshot unprotect {id} (POST /api/v1/snapshots/{id}/unprotect)' },
  OBJECT_NOT_FOUND: { status: 404, message: 'No object {digest}' },
  PATH_NOT_FOUND: { status: 404, message: 'No entry {path} in snapshot {id}' },
  NOT_A_FILE: { status: 400, message: '{path} is not a regular file' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No token {id}' },
  // disks, tasks, alerts
  DISK_NOT_FOUND: { status: 404, message: 'No disk {id}' },
  DISK_PRESENT: { status: 409, message: 'Disk {id} is present; only a missing disk can be purged' },
  DISK_IS_SYSTEM: { status: 409, message: 'Disk {id} holds the system ({detail}); it cannot be given the role {role}' },
  DISK_ROLE_TAKEN: { status: 409, message: 'Disk {id} is already {role} of {owner}' },
  SMART_UNAVAILABLE: { status: 409, message: 'Disk {id} has no SMART data: {detail}' },
  SMART_CAPTURE_INVALID: { status: 400, message: 'Not a smartctl JSON capture: {detail}' },
  NOTHING_TO_ACKNOWLEDGE: { status: 409, message: 'Disk {id} has no warning to acknowledge (verdict {verdict})' },
  TASK_NOT_FOUND: { status: 404, message: 'No task {id}' },
  ALERT_NOT_FOUND: { status: 404, message: 'No alert {id}' },
  RETENTION_POLICY_NOT_FOUND: { status: 404, message: 'Group {group} has no retention policy (a group without one is never pruned); set one: havend retention set {group} --keep-last N' },
  PRUNE_INVARIANT: { status: 500, message: 'Prune refused: {detail}' },
  // offsite replication (the offsite's peers)
  PEER_NOT_FOUND: { status: 404, message: 'No replication peer {name}' },
  PEER_EXISTS: { status: 409, message: 'Replication peer {name} already exists' },
  PEER_GROUP_CLASH: { status: 409, message: 'Group {group} from peer {name} would clash with {other}; add the peer with --group-prefix P to keep it apart' },
  REPLICATION_RECORD_MISMATCH: { status: 502, message: 'Peer {name} sent a record for snapshot {id} whose digest is {actual}: refused' },
  PEER_PAUSED: { status: 409, message: 'Peer {name} is paused: resume it first (havend peer resume {name})' },
  PEER_REPAIR_ONLY: { status: 409, message: 'Peer {name} is used only for repair: nothing is pulled from it' },
  PEER_NO_SNAPSHOT: { status: 404, message: 'Peer {name} has no snapshot this appliance\'s token may read: nothing can be fetched from it' },
  REPLICATION_INCOMPLETE: { status: 502, message: 'Replication from peer {name} left {count} snapshot(s) behind: {detail}' },
  PEER_WINDOW_INVALID: { status: 400, message: 'Time window {window} is not valid: {detail}' },
  // the protection plan and notifications
  DRILL_NO_SNAPSHOT: { status: 404, message: 'Group {group} has no snapshot to drill' },
  PLAN_ENTRY_NOT_FOUND: { status: 404, message: 'Group {group} has no protection plan entry; add one: havend plan add {group} --rpo DURATION' },
  PLAN_SCHEDULE_INVALID: { status: 400, message: 'Schedule {schedule} is not a cron pattern: {detail}' },
  REPORT_PERIOD_INVALID: { status: 400, message: 'Invalid report period: {detail}' },
  REPORT_GROUP_NOT_FOUND: { status: 404, message: 'Group {group} has no snapshots and no protection plan entry to report on' },
  NOTIFY_TARGET_NOT_FOUND: { status: 404, message: 'No notification target {name}' },
  NOTIFY_SECRET_UNREADABLE: { status: 400, message: 'Cannot read {file}: {detail}' },
  // pools, wipes and the disk swap
  POOL_NOT_CONFIGURED: { status: 409, message: 'No btrfs pool is configured: the datastore is a directory ({path})' },
  POOL_EXISTS: { status: 409, message: 'Pool {name} already exists' },
  POOL_DATASTORE_NOT_EMPTY: { status: 409, message: 'The datastore at {path} already holds {objects} object(s) and {snapshots} snapshot(s); a pool can only be created under an empty datastore' },
  POOL_DATASTORE_PINNED: { status: 409, message: 'datastore.path is set ({path}): the datastore cannot move onto a pool; clear the setting first' },
  POOL_TOO_FEW_DISKS: { status: 400, message: '{profile} needs at least {min} disks; {count} given' },
  POOL_BELOW_REDUNDANCY: { status: 409, message: 'Refused: {detail} ({profile} keeps its redundancy with at least {min} disks present)' },
  POOL_UNAVAILABLE: { status: 503, message: 'Pool {name} is not available: {detail}' },
  POOL_BUSY: { status: 409, message: 'Pool {name} is busy: {detail}' },
  POOL_COMMAND_FAILED: { status: 500, message: 'Pool {name}: {detail}' },
  POOL_MEMBER_NOT_FOUND: { status: 404, message: 'Pool {name} has no member {member}' },
  DISK_NOT_PRESENT: { status: 409, message: 'Disk {id} is not present' },
  DISK_TOO_SMALL: { status: 409, message: 'Disk {id} holds {size} bytes; it must hold at least {needed}' },
  DISK_IS_POOL_MEMBER: { status: 409, message: 'Disk {id} is a member of pool {pool}; it cannot be wiped' },
  WIPE_NOT_CONFIRMED: { status: 409, message: 'Disk {id} was not confirmed for wiping: type the last four characters of its {what}' },
  WIPE_DEVICE_IN_USE: { status: 409, message: 'Refusing to wipe {device}: {detail}' },
  WIPE_STATE_DIR: { status: 409, message: 'Refusing to wipe {device}: it holds the state directory {dir}' },
  SWAP_NOT_FOUND: { status: 404, message: 'No disk swap {id}' },
  SWAP_ACTIVE: { status: 409, message: 'Disk swap {id} is in progress (step {step}); finish or cancel it first' },
  SWAP_ACTION_NOT_ALLOWED: { status: 409, message: '{action} is not possible at step {step} ({state}); allowed now: {allowed}' },
  SWAP_CODE_MISMATCH: { status: 409, message: '{code} does not match the last four characters of the {what} of {disk}' },
  SWAP_CODE_AMBIGUOUS: { status: 409, message: '{code} matches {count} new disks; name the disk too' },
  SWAP_STEP_FAILED: { status: 500, message: 'Disk swap step {step} failed: {detail}' },
  // storage
  STORAGE_FULL: { status: 507, message: 'The datastore is out of space; nothing partial was committed' },
  STATE_DIR_UNUSABLE: { status: 500, message: 'Cannot use {dir} as the state directory: {detail}' },
  STATE_FULL: { status: 507, message: 'The state directory\'s file system has {free} bytes free, below the {reserve} kept for the state database; the daemon\'s own record was not written' },
  STORAGE_IO: { status: 503, message: 'The datastore\'s disk failed: {detail}' },
  STORAGE_BACKEND_UNAVAILABLE: { status: 503, message: 'The datastore\'s object storage ({endpoint}) cannot take more: {detail}' },
  S3_CREDENTIALS_INVALID: { status: 500, message: 'S3 credentials file {path}: {detail}' },
  STORE_CORRUPT: { status: 500, message: 'Datastore record is corrupt: {detail}' },
  DATASTORE_TOO_NEW: { status: 500, message: 'Datastore {path} has format version {found}; this havend understands up to {supported}. Upgrade Haven.' },
  DATASTORE_INVALID: { status: 500, message: 'Datastore {path} cannot be opened: {detail}' },
  DAEMON_RUNNING: { status: 409, message: 'havend (pid {pid}) is running on {dir}; stop it first' },
  // CLI side (havend commands that need the running daemon); 503 as for any unavailable service
  DAEMON_NOT_RUNNING: { status: 503, message: 'havend is not running on {dir} ({detail}); start it, or give the --data DIR it runs with' },
  CONFIG_INVALID: { status: 500, message: 'Invalid configuration: {detail}' },
  SHUTTING_DOWN: { status: 503, message: 'havend is shutting down; retry shortly' },
  // TLS (the appliance's certificate and the client's pin of it)
  TLS_CERTIFICATE_INVALID: { status: 500, message: 'The TLS certificate in {dir} is unusable ({detail}). Clients pin its fingerprint: restore it from a backup, or remove the directory to generate a new one and re-pin every client' },
  TLS_FINGERPRINT_MISMATCH: { status: 495, message: 'The server at {server} presents a certificate with fingerprint {actual}, not the pinned {expected}; refusing to talk to it. If the appliance was reinstalled, check the new fingerprint with `havend info` on it and pin that one' },
  TLS_UNTRUSTED: { status: 495, message: 'The server at {server} presents a certificate that is not trusted ({reason}); its fingerprint is {actual}. Compare it with `havend info` on the appliance and pin it' },
  INTERNAL: { status: 500, message: 'Internal error (request {requestId})' },
  // client side (haven CLI); the status only matters if one ever crosses HTTP
  SERVER_UNREACHABLE: { status: 503, message: 'Cannot reach the Haven server {server}: {detail}' },
  RESPONSE_INVALID: { status: 502, message: 'The server answered {what} with an unexpected body: {detail}' },
  CLIENT_NOT_CONFIGURED: { status: 400, message: 'No Haven server configured: run `haven login URL --token T`, or set HAVEN_SERVER and HAVEN_TOKEN' },
  PROFILE_INVALID: { status: 400, message: 'Profile {name} ({path}) cannot be used: {detail}' },
  SOURCE_UNREADABLE: { status: 400, message: 'Cannot back up {path}: {detail}' },
  WATCH_UNAVAILABLE: { status: 400, message: 'Cannot watch {path} for changes: {detail}' },
  TARGET_NOT_EMPTY: { status: 409, message: 'Restore target {path} is not empty; pass --overwrite to restore into it' },
  TARGET_UNUSABLE: { status: 400, message: 'Cannot restore into {path}: {detail}' },
  OBJECT_CORRUPT: { status: 502, message: 'Object {digest} from the server is corrupt: {detail}' },
  CHECK_FAILED: { status: 500, message: 'Snapshot {id} failed its check: {count} problem(s), first: {first}' },
  RESTORE_LIMIT: { status: 413, message: 'The snapshot lists more than {limit} {what}; if it is legitimate, raise {flag}' },
  RESTORE_UNSAFE: { status: 409, message: 'Refusing to restore {path}: {detail}; nothing outside the target was touched' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorParams = Record<string, string | number | bigint>;

/** The `{name}` placeholders of a message template, as a union of names. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

/**
 * The parameters a code's message needs, typed from its template: a missing or misspelt
 * parameter is a compile error instead of a literal `{name}` in an admin's message.
 */
export type ParamsOf<C extends ErrorCode> = { [K in Placeholders<(typeof ERRORS)[C]['message']>]: string | number | bigint };

/** Codes whose message has no placeholder may omit the parameters. */
type ParamsArg<C extends ErrorCode> = [Placeholders<(typeof ERRORS)[C]['message']>] extends [never] ? [params?: ParamsOf<C>] : [params: ParamsOf<C>];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId?: string; details?: unknown };
}

export function formatMessage(code: ErrorCode, params: ErrorParams = {}): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = params[key];
    return v === undefined ? `{${key}}` : String(v);
  });
}

export class HavenError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly params: ErrorParams;
  readonly details: unknown;

  constructor(code: C, ...args: [...ParamsArg<C>, options?: { cause?: unknown; details?: unknown }]) {
    const params = (args[0] ?? {}) as ErrorParams;
    const options = (args[1] ?? {}) as { cause?: unknown; details?: unknown };
    super(formatMessage(code, params), { cause: options.cause });
    this.name = 'HavenError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.params = params;
    this.details = options.details;
  }

  /**
   * An error that crossed a boundary already formatted (an HTTP body, a worker's message):
   * its code and message as received, so its parameters are not needed again.
   */
  static received(code: ErrorCode, message: string, details?: unknown): HavenError {
    const err = new HavenError(code, ...([{}, { details }] as unknown as ParamsArg<ErrorCode>));
    err.message = message;
    return err;
  }

  toBody(requestId?: string): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (requestId !== undefined) body.error.requestId = requestId;
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** Rebuilds a HavenError from a response body (client side); unknown shapes become INTERNAL. */
export function errorFromBody(status: number, body: unknown): HavenError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (e && isErrorCode(e.code)) return HavenError.received(e.code, typeof e.message === 'string' ? e.message : formatMessage(e.code), e.details);
  const err = new HavenError('INTERNAL', { requestId: '?' });
  err.message = `HTTP ${status} without a Haven error body`;
  return err;
}
