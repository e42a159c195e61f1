// The daemon's configuration schema: every field, its default and its meaning.
// Environment variable names are derived from the field path (HAVEND_ + path in
// SCREAMING_SNAKE_CASE), e.g. limits.maxFrameBytes <- HAVEND_LIMITS_MAX_FRAME_BYTES.

import { Type, type Static } from 'typebox';

const MiB = 1024 * 1024;

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: './data',
      description: 'State directory: LMDB state, unix socket, pid file; holds the datastore unless datastore.path is set',
    }),
    listen: Type.String({
      pattern: '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
      default: '127.0.0.1:8420',
      description: 'HOST:PORT to serve the API and UI on; loopback addresses serve plain HTTP',
    }),
    datastore: Type.Object(
      {
        path: Type.String({ default: '', description: 'Datastore directory; empty means <dataDir>/datastore' }),
        segmentMaxBytes: Type.Integer({ minimum: MiB, maximum: 1024 * MiB, default: 64 * MiB, description: 'Segment files are closed at this size' }),
        syncEveryBytes: Type.Integer({ minimum: MiB, maximum: 1024 * MiB, default: 32 * MiB, description: 'An upload stream makes its objects durable and visible at least this often' }),
        directIo: Type.Boolean({ default: true, description: 'Append to segments with O_DIRECT where the file system allows it (falls back to buffered writes)' }),
        reserveBytes: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Free space kept for prune, GC and compaction: uploads are refused (STORAGE_FULL) below it. 0 means automatic: two segments plus 256 MiB of index headroom',
        }),
        backend: Type.Union([Type.Literal('directory'), Type.Literal('s3')], { default: 'directory', description: 'Where sealed segments live: directory (local disk only) or s3 (an S3-compatible bucket; the local directory keeps the index, the open segment, the upload queue and a cache)' }),
        s3: Type.Object(
          {
            endpoint: Type.String({ default: '', description: 'S3 endpoint URL (http:// on a private network, https:// with caFile); path-style requests' }),
            bucket: Type.String({ default: '', description: 'Bucket holding the segments (created if missing)' }),
            prefix: Type.String({ default: '', description: 'Key prefix inside the bucket, e.g. haven/' }),
            region: Type.String({ default: 'us-east-1', description: 'Region name for request signing' }),
            credentialsFile: Type.String({ default: '', description: 'File (mode 0600) with AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines' }),
            caFile: Type.String({ default: '', description: 'PEM file of the CA that signed the endpoint\'s certificate; empty means the system CAs' }),
            cacheBytes: Type.Integer({ minimum: 0, default: 4 * 1024 * MiB, description: 'Uploaded segments kept on local disk (least recently read go first); a segment read from the bucket is brought in whole once more than half of it has been read, if it fits; the open segment and uploads not yet done are not counted' }),
            queueBytes: Type.Integer({ minimum: 0, default: 4 * 1024 * MiB, description: 'Sealed segments waiting for upload: past this, appends are refused with STORAGE_BACKEND_UNAVAILABLE' }),
            idleSealSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 60, description: 'An open segment idle this long is sealed and uploaded, so a committed snapshot is in the bucket' }),
            requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000, description: 'Every S3 request is abandoned after this long (a full Ceph cluster makes PUTs hang)' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        maxFrameBytes: Type.Integer({ minimum: 64 * 1024, maximum: 16 * MiB, default: 9 * MiB, description: 'Largest stored payload of one uploaded frame' }),
        maxHasDigests: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 65536, description: 'Most digests in one has batch' }),
        maxJsonBodyBytes: Type.Integer({ minimum: 1024, maximum: 64 * MiB, default: MiB, description: 'Largest JSON request body' }),
        maxStreamsPerSession: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'Parallel upload streams per backup session' }),
        sessionIdleSeconds: Type.Integer({ minimum: 60, default: 86400, description: 'Open sessions idle this long are aborted' }),
        headersTimeoutMs: Type.Integer({ minimum: 200, maximum: 600_000, default: 30_000, description: 'A request\'s headers must arrive within this long of the connection (or the previous request); slower ones are answered 408 and the connection closed (slow-loris)' }),
        frameTimeoutMs: Type.Integer({ minimum: 200, maximum: 3_600_000, default: 300_000, description: 'A frame of an upload stream must arrive whole within this long of its first byte (the clock restarts when havend pauses the stream); a stream that stalls or trickles inside a frame ends with UPLOAD_STALLED and its connection is closed. Between frames a stream may idle' }),
        authFailuresPerAddress: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20, description: 'Failed authentications (bearer token, password, setup code) one client address may make within authFailureWindowSeconds; further attempts are refused unchecked (429)' }),
        authFailuresGlobal: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 500, description: 'Failed authentications from all addresses together within the window; past it, only addresses that authenticated successfully within the window are served' }),
        authFailuresPerAccount: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5, description: 'Wrong passwords for one account name within the window' }),
        authFailureWindowSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 900, description: 'The sliding window of the authentication failure limits' }),
      },
      { additionalProperties: false, default: {} },
    ),
    workers: Type.Object(
      {
        verifyThreads: Type.Integer({ minimum: 0, maximum: 64, default: 0, description: 'Verification threads; 0 means one per core' }),
        batchBytes: Type.Integer({ minimum: 64 * 1024, maximum: 64 * MiB, default: 4 * MiB, description: 'Small objects are verified in batches of this many bytes' }),
      },
      { additionalProperties: false, default: {} },
    ),
    disks: Type.Object(
      {
        discovery: Type.Boolean({ default: true, description: 'Discover and watch the machine\'s block devices' }),
        hotplugPollMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 2000, description: 'How often /sys/block is checked for disks coming and going (kernel uevents, when delivered, are faster)' }),
        rescanSeconds: Type.Integer({ minimum: 5, maximum: 86400, default: 300, description: 'Full rediscovery at least this often (partitions, mounts)' }),
        smartPollSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 1800, description: 'SMART is read this often (with -n standby: sleeping disks are not woken)' }),
        smartTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 60, description: 'A smartctl run taking longer is killed; the disk shows no SMART data' }),
        smartReplayDir: Type.String({ default: '', description: 'Directory of smartctl JSON captures read instead of running smartctl (fixture-backed runs; see docs/ARCHITECTURE.md)' }),
        selfTestShortCron: Type.String({ default: '0 3 * * 0', description: 'When short self-tests start (cron; empty disables)' }),
        selfTestLongCron: Type.String({ default: '0 4 1 * *', description: 'When long self-tests start (cron; empty disables)' }),
        selfTestStaggerMinutes: Type.Integer({ minimum: 0, maximum: 1440, default: 30, description: 'Self-tests of successive disks start this many minutes apart' }),
      },
      { additionalProperties: false, default: {} },
    ),
    pool: Type.Object(
      {
        mountPath: Type.String({ default: '', description: 'Where a btrfs pool is mounted; empty means <dataDir>/pool. The datastore then lives in its datastore/ directory' }),
        scrubCron: Type.String({ default: '0 2 15 * *', description: 'When the pool is scrubbed (cron; monthly by default, away from the long SMART self-tests; empty disables)' }),
        checkSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'How often missing members and device error counters are read (alerts, pool.changed)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    retention: Type.Object(
      {
        pruneCron: Type.String({ default: '30 1 * * *', description: 'When every group with a retention policy is pruned (cron; daily at 01:30 by default; empty disables). Prune deletes snapshots; it reclaims no space' }),
      },
      { additionalProperties: false, default: {} },
    ),
    gc: Type.Object(
      {
        cron: Type.String({ default: '15 */6 * * *', description: 'When garbage collection runs (cron; every 6 hours by default; empty: only on demand). A run reclaims what the previous run condemned' }),
        compactThreshold: Type.Number({ minimum: 0.01, maximum: 1, default: 0.2, description: 'A sealed segment whose dead fraction reaches this is rewritten by compaction' }),
        unusedBudget: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'Dead bytes allowed across the datastore, as a fraction of stored bytes: past it, the deadest segments are rewritten even below the threshold' }),
        maxRewriteBytes: Type.Integer({ minimum: 0, default: 16 * 1024 * MiB, description: 'Most live bytes one run copies while compacting (the rest waits for the next run)' }),
        rateBytesPerSecond: Type.Integer({ minimum: 0, default: 256 * MiB, description: 'Compaction reads and writes at most this many bytes per second (0: unlimited), so backups keep the disk' }),
      },
      { additionalProperties: false, default: {} },
    ),
    verify: Type.Object(
      {
        cron: Type.String({ default: '45 2 * * *', description: 'When the nightly verification runs (cron; daily at 02:45 by default; empty disables): it re-reads and re-hashes 1/rotationNights of the stored objects' }),
        rotationNights: Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'The nightly verification covers every stored object once in this many nights' }),
        maxAgeDays: Type.Integer({ minimum: 1, maximum: 3660, default: 45, description: 'An object not verified for this many days is verified by the next nightly run, whatever its share (nights the appliance was off)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    drill: Type.Object(
      {
        cron: Type.String({ default: '30 3 * * 0', description: 'When every active plan entry\'s group is drilled (cron; Sundays at 03:30 by default; empty: only on demand)' }),
        sampleFiles: Type.Integer({ minimum: 1, maximum: 100000, default: 200, description: 'A recovery drill restores a snapshot whole when it has at most this many files, else this many files picked at random' }),
      },
      { additionalProperties: false, default: {} },
    ),
    jobs: Type.Object(
      {
        rpoCheckSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'How often the protection plan\'s RPO states are evaluated (also right after each backup commits)' }),
        deadManCheckSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'How often every scheduled job is checked for a success within its window (dead-man switches)' }),
        lagCheckSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30, description: 'How often each peer\'s replication lag is sampled and checked against its lag alert (also when a pull ends)' }),
        warningsAlertDelaySeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'The alert backup.warnings:<group> is raised once the group\'s newest snapshot has had warnings this long (a later clean backup within it raises nothing: continuous protection retakes a file that changed while it was read seconds later)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    reports: Type.Object(
      {
        summaryCron: Type.String({ default: '0 7 * * 1', description: 'When the report summary of the period since the previous run is sent as a notification (report.summary, severity info; cron; Mondays at 07:00 by default; empty disables)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    notify: Type.Object(
      {
        retryBaseSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'A notification that could not be delivered is retried after this long, then twice as long each time' }),
        retryMaxSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 3600, description: 'The longest wait between two delivery attempts' }),
        giveUpHours: Type.Integer({ minimum: 1, maximum: 2160, default: 72, description: 'A notification still undelivered after this long is marked failed' }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          [
            Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
            Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent'),
          ],
          { default: 'info', description: 'Log level' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
