// The rebuilding step: wipe the confirmed new disk, `btrfs replace` the old devid onto it,
// and (missing path) re-mirror chunks written while degraded. Each phase is checkpointed
// before it acts, and each is safe to run again after a restart: the kernel is asked what
// happened (is the new disk already the devid's device? is a replace running?) rather than
// trusting what this process last did. A daemon stop leaves the kernel's replace running;
// only a cancel cancels it.

import { HavenError } from '../../../../core/src/errors.js';
import { sleep } from '../../clock.js';
import type { DiskDirectory } from '../../disks/inventory.js';
import type { BtrfsOps } from '../btrfs-ops.js';
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

/** Cancels the kernel's replace and waits until it has stopped (bounded). */
export async function cancelReplace(driver: BtrfsOps, mountPath: string): Promise<void> {
  await driver.replaceCancel(mountPath);
  for (let i = 0; i < 600 && (await driver.replaceStatus(mountPath)).state === 'running'; i++) await new Promise((res) => setTimeout(res, 200));
}

export async function rebuild(r: SwapRecord, c: RebuildContext): Promise<RebuildOutcome> {
  const { record, mountPath } = c.pool.requireBtrfs();
  const devid = r.old.devid as number;
  const disk = c.disks.get(r.new?.diskId as string);
  if (!disk.present || !disk.devicePath) throw new HavenError('DISK_NOT_PRESENT', { id: disk.id });
  const target = disk.devicePath;
  const replaced = (): Promise<boolean> => rebuildFinished(r, c.driver, c.pool.kernel, mountPath, c.disks);

  let phase: RebuildPhase = r.phase ?? 'wipe';
  let outcome: RebuildOutcome = { replace: null };
  if (phase === 'wipe') {
    const status = await c.driver.replaceStatus(mountPath);
    if (status.state !== 'running' && !(await replaced())) {
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
    outcome = await replace(r, c, mountPath, devid, target, replaced);
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

async function replace(
  r: SwapRecord, c: RebuildContext, mountPath: string, devid: number, target: string, replaced: () => Promise<boolean>,
): Promise<RebuildOutcome> {
  const started = new Date();
  let status = await c.driver.replaceStatus(mountPath);
  if (status.state === 'running' || status.state === 'suspended') {
    c.log(`following the replace already running (${status.text})`);
  } else if (await replaced()) {
    c.log('the replace had already finished');
    return { replace: r.results.replace ?? null };
  } else {
    if (c.signal.aborted) throw c.signal.reason;
    c.wipe.check(target); // still not in use by anything (it is about to be overwritten)
    c.log(`btrfs replace start ${r.path === 'present' ? '-r ' : ''}${devid} ${target}`);
    // -f: a target left with part of our filesystem by an interrupted replace must be reusable;
    // it was confirmed and the executor has just checked it.
    await c.driver.replaceStart(mountPath, devid, target, { readMirrorsOnly: r.path === 'present', force: true });
  }
  let notYet = 0;
  try {
    for (;;) {
      await sleep(c.pollMs, c.signal);
      status = await c.driver.replaceStatus(mountPath);
      if (status.state === 'running' || status.state === 'suspended') {
        c.progress(status.fraction, `copying onto ${target}: ${((status.fraction ?? 0) * 100).toFixed(1)}% done`);
      } else if (status.state === 'finished') {
        break;
      } else if (status.state === 'never' && ++notYet < 20) {
        continue; // btrfs-progs reports "Never started" for a moment after starting
      } else {
        throw new HavenError('SWAP_STEP_FAILED', { step: 'rebuilding', detail: `btrfs replace: ${status.text}` });
      }
    }
  } catch (err) {
    if (c.signal.aborted && c.signal.reason instanceof SwapCancel) {
      c.log('cancelling the replace');
      await cancelReplace(c.driver, mountPath);
    }
    throw err;
  }
  if (!(await replaced())) throw new HavenError('SWAP_STEP_FAILED', { step: 'rebuilding', detail: `the replace ended but devid ${devid} is not on ${target}` });
  if (status.writeErrors || status.uncorrectableReadErrors) {
    c.log(`the replace counted ${status.writeErrors ?? 0} write and ${status.uncorrectableReadErrors ?? 0} uncorrectable read error(s); the scrub and verification follow`);
  }
  const finished = new Date();
  c.progress(1, `devid ${devid} now lives on ${target}`);
  return { replace: { started: r.results.replace?.started ?? started.toISOString(), finished: finished.toISOString(), seconds: (finished.getTime() - started.getTime()) / 1000 } };
}
