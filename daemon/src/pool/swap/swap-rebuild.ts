// The rebuilding step: wipe the confirmed new disk, `btrfs replace` the old devid onto it,
// and (missing path) re-mirror chunks written while degraded. Each phase is checkpointed
// before it acts, and each is safe to run again after a restart: the machine is asked what
// happened (is the new disk already the devid's device? is a replace running? is a `btrfs
// replace start` left by a killed havend still preparing one?) rather than trusting what
// this process last did. A daemon stop leaves the kernel's replace running; only a cancel
// cancels it.

import { HavenError } from '../../../../core/src/errors.js';
import { sleep } from '../../clock.js';
import type { DiskDirectory } from '../../disks/inventory.js';
import type { BtrfsOps } from '../btrfs-ops.js';
import type { ReplaceStatus } from '../btrfs-output.js';
import type { KernelView } from '../kernel-view.js';
import type { PoolService } from '../pool-service.js';
import { PROFILES } from '../profiles.js';
import type { WipeExecutor } from '../wipe-executor.js';
import type { RebuildPhase, SwapRecord } from './swap-machine.js';

/** Abort reason of an admin's cancel (a daemon stop aborts with anything else). */
export class SwapCancel extends Error {
  constructor() {
    super('cancelled by an admin');
  }
}

export interface RebuildContext {
  pool: PoolService;
  driver: BtrfsOps;
  wipe: WipeExecutor;
  disks: DiskDirectory;
  signal: AbortSignal;
  pollMs: number;
  progress(fraction: number | null, message: string): void;
  log(message: string): void;
  /** Persists the phase about to start. */
  checkpoint(phase: RebuildPhase): Promise<void>;
}

export interface RebuildOutcome {
  replace: { started: string; finished: string; seconds: number } | null;
}

/** True once the new disk is the device of the old devid: the replace is done (the kernel says so). */
export async function rebuildFinished(r: SwapRecord, driver: BtrfsOps, kernel: KernelView, mountPath: string, disks: DiskDirectory): Promise<boolean> {
  const disk = disks.get(r.new?.diskId as string);
  if (!disk.devicePath) return false;
  // Through the kernel view (device links resolved under its root), so a fixture machine works too.
  const real = (p: string): string => kernel.resolveDevice(p) ?? p;
  const target = real(disk.devicePath);
  const shown = await driver.show(mountPath);
  return shown.devices.some((d) => d.devid === r.old.devid && d.path !== null && real(d.path) === target);
}

/**
 * The `btrfs replace start` processes alive on this filesystem. btrfs-progs prepares the
 * target (zeroes its ends: seconds on a slow disk) before it asks the kernel, and until then
 * the kernel's status is the last replace's ("never", or "finished" from the swap before).
 * A havend killed meanwhile leaves it running, and it starts the replace moments later;
 * after that the same process waits in the kernel until the replace ends.
 */
function replaceStarters(kernel: KernelView, mountPath: string): number[] {
  return kernel.processes()
    .filter(({ argv }) => /(^|\/)btrfs$/.test(argv[0] ?? '') && argv[1] === 'replace' && argv[2] === 'start' && argv.includes(mountPath))
    .map((p) => p.pid);
}

/** Where the devid's replace stands, asked of the kernel (no memory of this process is trusted). */
type ReplaceProgress =
  | { kind: 'running'; status: ReplaceStatus }
  /** The new disk is the devid's device. */
  | { kind: 'done'; status: ReplaceStatus }
  /** A `btrfs replace start` is preparing the target: the kernel has no replace yet. */
  | { kind: 'starting'; status: ReplaceStatus }
  /** Nothing replaces the devid, and nothing is about to. */
  | { kind: 'idle'; status: ReplaceStatus };

async function replaceProgress(mountPath: string, kernel: KernelView, driver: BtrfsOps, replaced: () => Promise<boolean>): Promise<ReplaceProgress> {
  // The process first: one gone now cannot start a replace after the status is read.
  const starting = replaceStarters(kernel, mountPath).length > 0;
  const status = await driver.replaceStatus(mountPath);
  if (status.state === 'running' || status.state === 'suspended') return { kind: 'running', status };
  if (await replaced()) return { kind: 'done', status };
  return { kind: starting ? 'starting' : 'idle', status };
}

/**
 * Cancels the kernel's replace, one still starting included, and waits until it has stopped
 * (bounded). A `btrfs replace start` still preparing the target is killed: it has only zeroed
 * parts of the new disk, and waiting for it could take as long as a failing disk makes it.
 * One that has just entered the kernel ignores the signal until its replace ends, and that
 * replace is cancelled on the next round.
 */
export async function cancelReplace(driver: BtrfsOps, kernel: KernelView, mountPath: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const starters = replaceStarters(kernel, mountPath);
    const { state } = await driver.replaceStatus(mountPath);
    if (state === 'running') await driver.replaceCancel(mountPath);
    else if (starters.length === 0) return;
    else for (const pid of starters) killQuietly(pid);
    await new Promise((res) => setTimeout(res, 200));
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it has just exited
  }
}

export async function rebuild(r: SwapRecord, c: RebuildContext): Promise<RebuildOutcome> {
  const { record, mountPath } = c.pool.requireBtrfs();
  const devid = r.old.devid as number;
  const disk = c.disks.get(r.new?.diskId as string);
  if (!disk.present || !disk.devicePath) throw new HavenError('DISK_NOT_PRESENT', { id: disk.id });
  const target = disk.devicePath;
  const replaced = (): Promise<boolean> => rebuildFinished(r, c.driver, c.pool.kernel, mountPath, c.disks);
  const progress = (): Promise<ReplaceProgress> => replaceProgress(mountPath, c.pool.kernel, c.driver, replaced);

  let phase: RebuildPhase = r.phase ?? 'wipe';
  let outcome: RebuildOutcome = { replace: null };
  if (phase === 'wipe') {
    if ((await progress()).kind === 'idle') {
      if (c.signal.aborted) throw c.signal.reason;
      c.progress(null, `wiping ${target}`);
      c.log(`wiping ${target} (${disk.model ?? 'disk'} ${disk.serial ?? disk.id})`);
      await c.wipe.wipe(target);
    }
    await c.disks.claim(disk.id, 'pool-member', record.name);
    phase = 'replace';
    await c.checkpoint(phase);
  }
  if (phase === 'replace') {
    outcome = await replace(r, c, devid, target, progress);
    await c.pool.refreshMembers();
    if (r.path === 'missing') {
      phase = 'balance';
      await c.checkpoint(phase);
    }
  }
  if (phase === 'balance') {
    // Chunks written while degraded may be `single`: convert them back (soft: only those).
    c.progress(null, 're-mirroring what was written while the pool was degraded');
    c.log('balance: converting chunks not in the profile back to it');
    await c.driver.balanceToProfile(mountPath, PROFILES[record.profile].mkfs);
  }
  return outcome;
}

/** A replace still starting after this long has failed to (btrfs-progs died in the kernel's refusal, say). */
const STARTING_LIMIT_MS = 5 * 60_000;

async function replace(r: SwapRecord, c: RebuildContext, devid: number, target: string, progress: () => Promise<ReplaceProgress>): Promise<RebuildOutcome> {
  const { mountPath } = c.pool.requireBtrfs();
  const started = new Date();
  let now = await progress();
  if (now.kind === 'done') {
    c.log('the replace had already finished');
    return { replace: r.results.replace ?? null };
  } else if (now.kind === 'running') {
    c.log(`following the replace already running (${now.status.text})`);
  } else if (now.kind === 'starting') {
    c.log('a btrfs replace start of an earlier run is still preparing the target: following it');
  } else {
    if (c.signal.aborted) throw c.signal.reason;
    c.wipe.check(target); // still not in use by anything (it is about to be overwritten)
    c.log(`btrfs replace start ${r.path === 'present' ? '-r ' : ''}${devid} ${target}`);
    c.progress(null, `btrfs is preparing ${target}`); // seconds on a slow disk: not left saying "wiping"
    // -f: a target left with part of our filesystem by an interrupted replace must be reusable;
    // it was confirmed and the executor has just checked it.
    // A cancel while btrfs-progs still prepares the target kills it (the signal), before any replace.
    await c.driver.replaceStart(mountPath, devid, target, { readMirrorsOnly: r.path === 'present', force: true, signal: c.signal });
  }
  const startingSince = Date.now();
  try {
    for (;;) {
      await sleep(c.pollMs, c.signal);
      now = await progress();
      if (now.kind === 'done') break;
      if (now.kind === 'running') {
        c.progress(now.status.fraction, `copying onto ${target}: ${((now.status.fraction ?? 0) * 100).toFixed(1)}% done`);
      } else if (now.kind === 'starting' && Date.now() - startingSince < STARTING_LIMIT_MS) {
        c.progress(null, `btrfs is preparing ${target}`);
      } else {
        throw new HavenError('SWAP_STEP_FAILED', { step: 'rebuilding', detail: `btrfs replace: ${now.status.text}; devid ${devid} is not on ${target}` });
      }
    }
  } catch (err) {
    if (c.signal.aborted && c.signal.reason instanceof SwapCancel) {
      c.log('cancelling the replace');
      await cancelReplace(c.driver, c.pool.kernel, mountPath);
    }
    throw err;
  }
  const { status } = now;
  if (status.writeErrors || status.uncorrectableReadErrors) {
    c.log(`the replace counted ${status.writeErrors ?? 0} write and ${status.uncorrectableReadErrors ?? 0} uncorrectable read error(s); the scrub and verification follow`);
  }
  const finished = new Date();
  c.progress(1, `devid ${devid} now lives on ${target}`);
  return { replace: { started: r.results.replace?.started ?? started.toISOString(), finished: finished.toISOString(), seconds: (finished.getTime() - started.getTime()) / 1000 } };
}
