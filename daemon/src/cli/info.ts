// `havend info [--config FILE] [--data DIR] [--json]`: what an admin needs to connect clients
// and browsers: the URLs, the TLS fingerprint to pin, whether the daemon runs, and the
// datastore's free space beside the reserve below which uploads are refused. Reads the same
// configuration as serve and never creates anything (the certificate is made by the daemon's
// first start).

import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { DatastoreUsage, ObjectStorageStatus } from '../../../core/src/api/datastore.js';
import { size } from '../../../core/src/text/size.js';
import { loadConfig, parseListen } from '../config/load.js';
import { isLoopbackHost, reachableUrls } from '../http/listen-address.js';
import { setupCodePath } from '../accounts/setup-code.js';
import { runningDaemon } from '../pidfile.js';
import { LocalClient } from './local-client.js';
import { IDENTITY_FILE } from '../store/identity.js';
import { effectiveReserveBytes } from '../store/space-reserve.js';
import { loadCertificate, tlsDir } from '../tls/certificate.js';
import { VERSION } from '../../../core/src/version.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';

export interface DaemonInfo {
  version: string;
  stateDir: string;
  datastore: string;
  listen: string;
  urls: string[];
  running: { pid: number } | null;
  /** The daemon answered its health route (through the control socket). */
  healthy: boolean;
  /** The one-time code that creates the first admin account in the UI; null once one exists. */
  setupCode: string | null;
  tls: { enabled: boolean; fingerprint: string | null; notAfter: string | null; certificateDir: string };
  /**
   * The datastore's file system: from the running daemon (which knows where a pool put the
   * datastore, and whether it refuses uploads now), else read here from the configured
   * datastore directory; null when neither can say (no daemon, no datastore there yet).
   */
  space: DatastoreSpace | null;
  /**
   * With the datastore on S3 (from the running daemon): the bucket, the bytes not yet uploaded
   * (upload queue + open segment) and the local cache; null on a plain directory or without a daemon.
   */
  objectStorage: ObjectStorageStatus | null;
}

export interface DatastoreSpace {
  freeBytes: number;
  capacityBytes: number;
  /** Client uploads are refused (STORAGE_FULL) when they would leave less than this free. */
  reserveBytes: number;
  uploadsRefused: boolean;
}

export async function infoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    listen: { type: 'string' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
  });
  const flags: Record<string, unknown> = {};
  if (values.data !== undefined) flags.dataDir = values.data;
  if (values.listen !== undefined) flags.listen = values.listen;
  const loaded = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), flags });
  const { config } = loaded;
  const { host, port } = parseListen(config.listen);
  const dir = tlsDir(config.dataDir);
  // --wait SECONDS: for install scripts that have just started the service.
  const waitMs = values.wait === undefined ? 0 : Number(values.wait) * 1000;
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new UsageError('--wait takes a number of seconds');
  const healthy = await waitForHealth(config.dataDir, waitMs);
  const cert = loadCertificate(dir);
  const pid = runningDaemon(config.dataDir);
  const usage = healthy ? await daemonUsage(config.dataDir) : null;
  const space = usage ? spaceOf(usage) : healthy ? null : localSpace(loaded.datastorePath, effectiveReserveBytes(config.datastore));
  const info: DaemonInfo = {
    version: VERSION,
    stateDir: config.dataDir,
    datastore: loaded.datastorePath,
    listen: config.listen,
    urls: reachableUrls(host, port),
    running: pid === null ? null : { pid },
    healthy,
    setupCode: readSetupCode(config.dataDir),
    tls: { enabled: !isLoopbackHost(host), fingerprint: cert?.fingerprint ?? null, notAfter: cert?.notAfter ?? null, certificateDir: dir },
    space,
    objectStorage: usage?.objectStorage ?? null,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const tlsLine = !info.tls.enabled
    ? 'none: listening on loopback, plain HTTP'
    : info.tls.fingerprint ?? `not generated yet (havend creates it in ${dir} when it first starts)`;
  process.stdout.write(
    [
      `havend ${info.version}`,
      `state:       ${info.stateDir}`,
      `datastore:   ${info.datastore}`,
      `daemon:      ${info.running ? `running (pid ${info.running.pid})${info.healthy ? '' : ', not answering yet'}` : 'not running'}`,
      ...(space ? [`space:       ${spaceLine(space)}`] : []),
      ...(info.objectStorage ? [`bucket:      ${bucketLine(info.objectStorage)}`] : []),
      `URL:         ${info.urls.join(' ')}`,
      `fingerprint: ${tlsLine}`,
      ...(info.setupCode ? [`setup code:  ${info.setupCode}  (open the URL and create the admin account with it)`] : []),
      ...(info.tls.enabled && info.tls.fingerprint ? [`  (SHA-256 of the TLS certificate; pin it on clients: haven login --fingerprint ${info.tls.fingerprint})`] : []),
    ].join('\n') + '\n',
  );
  return values.wait !== undefined && !healthy ? EXIT.failure : EXIT.ok;
}

function spaceLine(s: DatastoreSpace): string {
  const line = `${size(s.freeBytes)} free of ${size(s.capacityBytes)}, ${size(s.reserveBytes)} kept in reserve for prune and GC`;
  return s.uploadsRefused ? `${line}; BACKUPS ARE REFUSED (STORAGE_FULL): prune and run havend gc to give space back` : line;
}

function bucketLine(o: ObjectStorageStatus): string {
  return `${o.endpoint}/${o.bucket}/${o.prefix}: ${size(o.notUploadedBytes)} not yet uploaded (${o.pendingSegments} sealed segment(s) queued), `
    + `${size(o.cachedBytes)} cached of ${size(o.cacheBytes)}${o.lastError ? `; LAST UPLOAD FAILED (${o.lastErrorAt ?? '?'}): ${o.lastError}` : ''}`;
}

async function daemonUsage(dataDir: string): Promise<DatastoreUsage | null> {
  try {
    return await new LocalClient(dataDir).call<DatastoreUsage>('GET', '/api/v1/datastore');
  } catch {
    return null; // stopped since it answered its health route: info reports what it can
  }
}

function spaceOf(u: DatastoreUsage): DatastoreSpace {
  return { freeBytes: u.freeBytes, capacityBytes: u.capacityBytes, reserveBytes: u.reserveBytes, uploadsRefused: u.uploadsRefused };
}

/** With no daemon to ask: the file system of the configured datastore, if one is there. */
function localSpace(datastore: string, reserveBytes: number): DatastoreSpace | null {
  if (!existsSync(join(datastore, IDENTITY_FILE))) return null;
  const fs = statfsSync(datastore);
  const freeBytes = fs.bavail * fs.bsize;
  return { freeBytes, capacityBytes: fs.blocks * fs.bsize, reserveBytes, uploadsRefused: freeBytes < reserveBytes };
}

/** The daemon keeps the code in a root-only file while no admin account exists. */
function readSetupCode(dataDir: string): string | null {
  const path = setupCodePath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || null : null;
}

async function waitForHealth(dataDir: string, waitMs: number): Promise<boolean> {
  const client = new LocalClient(dataDir);
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      const h = await client.call<{ status?: string }>('GET', '/api/v1/health');
      if (h.status === 'ok') return true;
    } catch {
      // not running (yet), or still starting
    }
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}
