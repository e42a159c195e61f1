// The disk swap as a state machine (DESIGN section 5), pure: the persisted record, the order
// of steps on each path, what the technician may do at each step, and the words the screen
// shows. The service (swap-service.ts) applies transitions, persists every one before acting
// on it, and runs the appliance's steps.
//
//   locate -> insert-new -> rebuilding -> scrubbing -> verifying -> remove-old -> done
//                                                              (missing path: -> done)
// Human steps wait (`waiting`); the appliance's steps work (`working`); a failure stops at
// its step (`failed`) with retry, and cancel where nothing irreversible has happened.

import type {
  SwapAction, SwapDisk, SwapInfo, SwapLocate, SwapPath, SwapProgress, SwapReason, SwapResults, SwapState, SwapStep, SwapStepRecord,
} from '../../../../core/src/api/swap.js';

/** A disk as the workflow remembers it (the inventory may forget or change it meanwhile). */
export interface SwapDiskRecord {
  diskId: string | null;
  devid: number | null;
  serial: string | null;
  model: string | null;
  sizeBytes: number;
  slot: string | null;
}

/** Where the rebuilding step is: wipe the new disk, replace onto it, re-mirror (missing path). */
export type RebuildPhase = 'wipe' | 'replace' | 'balance';

export interface SwapRecord {
  id: string;
  pool: string;
  created: string;
  updated: string;
  path: SwapPath;
  reason: SwapReason;
  step: SwapStep;
  state: SwapState;
  old: SwapDiskRecord;
  new: SwapDiskRecord | null;
  phase: RebuildPhase | null;
  times: Partial<Record<SwapStep, { started: string; ended: string | null }>>;
  results: SwapResults;
  progress: SwapProgress | null;
  locate: SwapLocate | null;
  taskId: string | null;
  error: { code: string; message: string } | null;
}

const TITLES: Record<SwapStep, string> = {
  locate: 'Find the disk',
  'insert-new': 'Insert the new disk',
  rebuilding: 'Rebuild onto the new disk',
  scrubbing: 'Scrub the pool',
  verifying: 'Verify the backups',
  'remove-old': 'Pull the old disk',
  done: 'Done',
  cancelled: 'Cancelled',
};

export function stepsOf(path: SwapPath): SwapStep[] {
  return path === 'present'
    ? ['locate', 'insert-new', 'rebuilding', 'scrubbing', 'verifying', 'remove-old', 'done']
    : ['locate', 'insert-new', 'rebuilding', 'scrubbing', 'verifying', 'done'];
}

/** The step after `step` on this path. */
export function nextStep(path: SwapPath, step: SwapStep): SwapStep {
  const order = stepsOf(path);
  return order[order.indexOf(step) + 1] ?? 'done';
}

/** Steps the technician completes; the others the appliance works through. */
export function isHumanStep(step: SwapStep): boolean {
  return step === 'locate' || step === 'insert-new' || step === 'remove-old';
}

/**
 * Cancel is safe until the rebuild has finished: before it nothing was changed; during it,
 * `btrfs replace cancel` leaves the pool as it was (the old disk still serves, or the pool
 * stays degraded as before). After it, the pool already holds the new disk: nothing to undo.
 */
export function cancellable(step: SwapStep): boolean {
  return step === 'locate' || step === 'insert-new' || step === 'rebuilding';
}

export function allowedActions(r: Pick<SwapRecord, 'step' | 'state'>): SwapAction[] {
  if (r.state === 'finished') return [];
  if (r.state === 'failed') return cancellable(r.step) ? ['retry', 'cancel'] : ['retry'];
  const out: SwapAction[] = [];
  if (isHumanStep(r.step)) out.push('confirm');
  if (cancellable(r.step)) out.push('cancel');
  return out;
}

function name(d: SwapDiskRecord | null): string {
  if (!d) return 'the disk';
  const what = [d.model, d.serial ? `serial ${d.serial}` : null].filter(Boolean).join(', ');
  return what || (d.diskId ? `disk ${d.diskId}` : `devid ${d.devid ?? '?'}`);
}

function codeHint(d: SwapDiskRecord): string {
  return d.serial ? 'the last four characters of its serial (on its label)' : 'the last four characters of its disk id (shown here; it has no serial)';
}

export function instructionFor(r: SwapRecord): string {
  if (r.state === 'failed') return `This step failed: ${r.error?.message ?? 'unknown error'}. Retry it${cancellable(r.step) ? ', or cancel the swap' : ''}.`;
  const slot = r.old.slot ? ` in slot ${r.old.slot}` : '';
  switch (r.step) {
    case 'locate':
      return r.path === 'present'
        ? `Find ${name(r.old)}${slot}: ${r.locate?.method === 'ledctl' ? 'its locate LED is blinking' : 'its activity light flickers in bursts'}. Leave it in place; type ${codeHint(r.old)} to confirm it is the one.`
        : `${name(r.old)} is gone from the pool (last seen${slot || ' in an unknown slot'}). Type ${codeHint(r.old)} to confirm this is the disk you are replacing.`;
    case 'insert-new':
      return r.path === 'present'
        ? `Insert the new disk in a free slot, keeping ${name(r.old)} in place. When it is listed, confirm wiping it by typing ${'the last four characters of its serial'}.`
        : `Insert the new disk (in the empty slot${slot}). When it is listed, confirm wiping it by typing the last four characters of its serial.`;
    case 'rebuilding':
      return r.path === 'present'
        ? `Copying onto ${name(r.new)} while ${name(r.old)} keeps serving. Leave both disks in place.`
        : `Rebuilding the missing copies onto ${name(r.new)} from the other disks. Leave the disks in place.`;
    case 'scrubbing':
      return 'Reading back every byte of the pool and checking it against its checksum.';
    case 'verifying':
      return 'Reading every backup and checking every object against its digest.';
    case 'remove-old':
      return `${name(r.old)} is no longer part of the pool. Pull it${slot} (${r.locate?.method === 'ledctl' ? 'its LED blinks' : 'its activity light flickers'}); this step ends when it is gone, or type ${codeHint(r.old)} if it stays in.`;
    case 'done':
      return `Done: ${name(r.new)} replaced ${name(r.old)}; the pool is rebuilt, scrubbed and every backup verified.`;
    case 'cancelled':
      return 'The swap was cancelled; the pool is as it was before.';
  }
}

export function stepRecords(r: SwapRecord): SwapStepRecord[] {
  const order = stepsOf(r.path);
  const all: SwapStep[] = r.step === 'cancelled' ? [...order.slice(0, -1), 'cancelled'] : order;
  const at = all.indexOf(r.step);
  const skippedRemove = r.path === 'missing';
  return all.map((step, i) => ({
    step,
    title: TITLES[step],
    state: i < at ? (r.times[step] ? 'done' : 'skipped') : i === at ? (r.state === 'finished' ? 'done' : 'current') : skippedRemove && step === 'remove-old' ? 'skipped' : 'pending',
    started: r.times[step]?.started ?? null,
    ended: r.times[step]?.ended ?? null,
  }));
}

/** Moves the record to `step` (times kept per step); the caller persists it. */
export function enter(r: SwapRecord, step: SwapStep, at: string): SwapRecord {
  const times = { ...r.times };
  const cur = times[r.step];
  if (cur && cur.ended === null) times[r.step] = { ...cur, ended: at };
  if (step !== r.step || !times[step]) times[step] = { started: at, ended: step === 'done' || step === 'cancelled' ? at : null };
  const state: SwapState = step === 'done' || step === 'cancelled' ? 'finished' : isHumanStep(step) ? 'waiting' : 'working';
  return { ...r, step, state, times, updated: at, progress: null, error: null, phase: step === 'rebuilding' ? r.phase ?? 'wipe' : null };
}

export function toInfo(r: SwapRecord, view: { old: SwapDisk; new: SwapDisk | null; candidates: SwapDisk[] }): SwapInfo {
  return {
    id: r.id, pool: r.pool, created: r.created, updated: r.updated, path: r.path, reason: r.reason, step: r.step, state: r.state,
    instruction: instructionFor(r), allowed: allowedActions(r), old: view.old, new: view.new,
    candidates: r.step === 'insert-new' && r.state === 'waiting' ? view.candidates : [],
    locate: r.locate, progress: r.progress, steps: stepRecords(r), results: r.results, taskId: r.taskId, error: r.error,
  };
}
