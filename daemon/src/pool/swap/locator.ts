// Pointing at a disk in the chassis. `ledctl locate=` blinks the slot's LED on enclosures
// that have one (SES-2, VMD, NPEM, IBPI through ledmon); it exits non-zero elsewhere (33 on a
// loop device: "device not supported"). The fallback is the activity light: bursts of direct
// reads (past the page cache) at random offsets, three bursts then a pause, a rhythm a
// technician can tell from the steady flicker of the other disks. Reads only; bounded in time.

import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { SwapLocate } from '../../../../core/src/api/swap.js';
import type { CommandRunner } from '../../../../core/src/exec/runner.js';

export interface LocatorOptions {
  /** Longest a locate keeps going by itself. */
  maxMs?: number;
  burstMiB?: number;
  pauseMs?: number;
}

export class Locator {
  private stopCurrent: (() => Promise<void>) | null = null;

  constructor(private readonly runner: CommandRunner, private readonly log: Logger, private readonly options: LocatorOptions = {}) {}

  /** Starts pointing at `devicePath` (stopping any earlier locate) and says how. */
  async start(devicePath: string, sizeBytes: number): Promise<SwapLocate> {
    await this.stop();
    const led = await this.runner.run('ledctl', [`locate=${devicePath}`], { timeoutMs: 10_000 });
    if (led.code === 0) {
      this.stopCurrent = async () => {
        await this.runner.run('ledctl', [`locate_off=${devicePath}`], { timeoutMs: 10_000 });
      };
      return { method: 'ledctl', active: true, detail: `the locate LED of ${devicePath}'s slot blinks (ledctl)` };
    }
    const why = led.spawnError ? 'ledctl is not installed' : `ledctl cannot drive this slot (exit ${led.code})`;
    this.stopCurrent = this.activity(devicePath, sizeBytes);
    return { method: 'activity', active: true, detail: `${why}: reading from ${devicePath} in bursts of three, then a pause, so its activity light blinks in that rhythm` };
  }

  async stop(): Promise<void> {
    const s = this.stopCurrent;
    this.stopCurrent = null;
    if (s) await s().catch((err: unknown) => this.log.warn({ err }, 'stopping the locate failed'));
  }

  private activity(devicePath: string, sizeBytes: number): () => Promise<void> {
    const abort = new AbortController();
    const maxMs = this.options.maxMs ?? 15 * 60_000;
    const burstMiB = this.options.burstMiB ?? 8;
    const pauseMs = this.options.pauseMs ?? 1500;
    const until = Date.now() + maxMs;
    const spanMiB = Math.max(1, Math.floor(sizeBytes / (1 << 20)) - burstMiB);
    const wait = (ms: number): Promise<void> => new Promise((r) => {
      const t = setTimeout(r, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        r();
      }, { once: true });
    });
    const loop = (async () => {
      while (!abort.signal.aborted && Date.now() < until) {
        for (let burst = 0; burst < 3 && !abort.signal.aborted; burst++) {
          const r = await this.runner.run('dd', [
            `if=${devicePath}`, 'of=/dev/null', 'bs=1M', `count=${burstMiB}`, `skip=${randomInt(spanMiB)}`, 'iflag=direct', 'status=none',
          ], { timeoutMs: 10_000 });
          // A disk that cannot be read any more cannot blink either; the slot is still shown.
          if (r.code !== 0) return;
          await wait(250);
        }
        await wait(pauseMs);
      }
    })();
    return async () => {
      abort.abort();
      await loop;
    };
  }
}
