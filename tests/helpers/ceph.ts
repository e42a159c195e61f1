// A real single-node Ceph cluster with its RADOS Gateway on 127.0.0.1 (tests/lab/ceph-lab.sh:
// one mon, one memstore OSD, radosgw; ~3 s to boot), started once per test file. Outside CI a
// machine without the packages skips with a visible reason; under CI=true they must be there
// (.ci/run installs them).

import { execFile } from 'node:child_process';
import { after, before, describe } from 'node:test';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { hasCommand, isRoot, IN_CI } from './prereq.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../tests/lab/ceph-lab.sh', import.meta.url));

export interface CephLab {
  dir: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A credentials file (mode 0600) for datastore.s3.credentialsFile. */
  credentialsFile: string;
  /** SIGSTOP / SIGCONT the RADOS Gateway: requests then hang, as on a full cluster. */
  pauseGateway(): void;
  resumeGateway(): void;
  stop(): Promise<void>;
}

/** Why the lab cannot run here, or null when it can. */
export function cephLabMissing(): string | null {
  if (!isRoot()) return 'the Ceph lab needs root';
  for (const cmd of ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'uuidgen']) {
    if (!hasCommand(cmd)) return `${cmd} is not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common uuid-runtime)`;
  }
  return null;
}

/** Ports no other lab of this machine uses: derived from the pid, retried on a clash. */
function ports(attempt: number): Record<string, string> {
  const base = 20000 + ((process.pid * 7 + attempt * 13) % 2000) * 4;
  return { CEPH_LAB_PORT: String(base), CEPH_LAB_MON_PORT: String(base + 1), CEPH_LAB_MON_PORT1: String(base + 2) };
}

function gatewayPid(dir: string): number {
  return Number(readFileSync(join(dir, 'run', 'client.rgw.lab.pid'), 'utf8').trim());
}

/** Boots the lab (throws when it cannot; call cephLabMissing first). */
export async function startCephLab(): Promise<CephLab> {
  const missing = cephLabMissing();
  if (missing !== null) throw new Error(`prerequisite missing${IN_CI ? ' under CI=true' : ''}: ${missing}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = join(mkdtempSync('/var/tmp/haven-ceph-'), 'lab');
    const env = { ...process.env, ...ports(attempt), CEPH_LAB_STORE_GB: '2' };
    try {
      await run('bash', [SCRIPT, 'start', dir], { env, timeout: 120_000 });
    } catch (err) {
      lastError = err;
      await run('bash', [SCRIPT, 'stop', dir], { env }).catch(() => undefined);
      continue;
    }
    const vars = Object.fromEntries([...readFileSync(join(dir, 's3.env'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const credentialsFile = join(dir, '..', 's3-credentials');
    writeFileSync(credentialsFile, `AWS_ACCESS_KEY_ID=${vars.AWS_ACCESS_KEY_ID}\nexport AWS_SECRET_ACCESS_KEY=${vars.AWS_SECRET_ACCESS_KEY}\n`, { mode: 0o600 });
    chmodSync(credentialsFile, 0o600);
    return {
      dir,
      endpoint: vars.S3_ENDPOINT as string,
      accessKeyId: vars.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: vars.AWS_SECRET_ACCESS_KEY as string,
      credentialsFile,
      pauseGateway: () => process.kill(gatewayPid(dir), 'SIGSTOP'),
      resumeGateway: () => process.kill(gatewayPid(dir), 'SIGCONT'),
      stop: async () => {
        await run('bash', [SCRIPT, 'stop', dir], { env, timeout: 60_000 });
        rmSync(dirname(dir), { recursive: true, force: true }); // the credentials file beside it
      },
    };
  }
  throw lastError;
}

/**
 * A describe block with a lab booted before its tests and stopped after them; skipped with
 * the reason outside CI when the lab cannot run. `lab()` is valid inside the tests.
 */
export function describeOnCeph(name: string, body: (lab: () => CephLab) => void): void {
  const missing = cephLabMissing();
  describe(name, { skip: !IN_CI && missing !== null ? `skipped: ${missing}` : false }, () => {
    let lab: CephLab | undefined;
    before(async () => {
      lab = await startCephLab();
    });
    after(async () => {
      await lab?.stop();
    });
    body(() => lab as CephLab);
  });
}
