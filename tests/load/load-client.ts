// One client of the load test: the real haven CLI backing up its own group with its own token,
// cache and source tree, again and again until a deadline. The tree changes between backups
// (a new file, an edited one, a file rewritten in place, an old one deleted) and its exact
// state is recorded for every snapshot taken, to compare restores with afterwards.

import { mkdirSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { PosixOps } from '../../client/src/fs/posix-ops.js';
import { haven } from '../helpers/haven-cli.js';
import { isRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { describeTree, type Described } from '../helpers/tree-compare.js';

export interface LoadClientOptions {
  group: string;
  /** Where the client's tree (`src`), cache and home live. */
  work: string;
  env: NodeJS.ProcessEnv;
  /** The size of the file that needs a list object. */
  largeBytes: number;
}

type BackupJson = { snapshot: { id: string; stats: { bytes?: number; bytesRead?: number } }; session: { stats: { bytesReceived: number } } };

export interface ClientFigures {
  group: string;
  backups: number;
  /** Bytes the client read and chunked (files not unchanged since its last backup). */
  bytesRead: number;
  /** Bytes the backups covered (unchanged files included) and bytes uploaded. */
  bytesCovered: number;
  bytesSent: number;
  longestBackupMs: number;
  busyMs: number;
  failures: string[];
  /** Each snapshot's id and its source tree as it stood when taken. */
  taken: Map<string, Map<string, Described>>;
}

export class LoadClient {
  readonly figures: ClientFigures;
  private readonly src: string;

  constructor(readonly options: LoadClientOptions, private readonly posix: PosixOps) {
    this.src = join(options.work, 'src');
    this.figures = { group: options.group, backups: 0, bytesRead: 0, bytesCovered: 0, bytesSent: 0, longestBackupMs: 0, busyMs: 0, failures: [], taken: new Map() };
  }

  /** The tree every source holds (source-tree.ts), and real system files: this client's share of them. */
  async prepare(files: ReadonlyArray<{ path: string; content: Buffer }>): Promise<void> {
    mkdirSync(join(this.src, 'real'), { recursive: true });
    await makeSourceTree(this.src, this.posix, { asRoot: isRoot(), largeBytes: this.options.largeBytes });
    files.forEach((f, i) => writeFileSync(join(this.src, 'real', `${i}-${f.path.split('/').pop() as string}`), f.content));
  }

  /** Backs up until `deadline` (a backup under way when it passes finishes). */
  async run(deadline: number): Promise<void> {
    for (let round = 0; Date.now() < deadline; round++) {
      if (round > 0) this.mutate(round);
      const state = await describeTree(this.src, this.posix);
      const started = Date.now();
      const r = await haven(['backup', '--group', this.options.group, '--json', 'src'], { cwd: this.options.work, env: this.options.env, timeoutMs: 600_000 });
      const took = Date.now() - started;
      this.figures.busyMs += took;
      this.figures.longestBackupMs = Math.max(this.figures.longestBackupMs, took);
      if (r.code !== 0) {
        this.figures.failures.push(`${new Date().toISOString()} ${this.options.group} backup ${round} (from ${new Date(started).toISOString()}) exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}`);
        continue;
      }
      const out = JSON.parse(r.stdout) as BackupJson;
      this.figures.backups++;
      this.figures.bytesRead += out.snapshot.stats.bytesRead ?? 0;
      this.figures.bytesCovered += out.snapshot.stats.bytes ?? 0;
      this.figures.bytesSent += out.session.stats.bytesReceived;
      this.figures.taken.set(out.snapshot.id, state);
    }
  }

  /** New, edited, rewritten-in-place and deleted files: each backup has new data and garbage behind it. */
  private mutate(round: number): void {
    const g = this.options.group;
    writeFileSync(join(this.src, `new-${round}.bin`), seededBytes(256 * 1024 + ((round * 7919) % 768) * 1024, `${g}-new-${round}`));
    rmSync(join(this.src, `new-${round - 3}.bin`), { force: true });
    writeFileSync(join(this.src, 'a.txt'), `hello haven, ${g} round ${round}\n`);
    const fd = openSync(join(this.src, 'sub/random.bin'), 'r+');
    writeSync(fd, seededBytes(64 * 1024, `${g}-patch-${round}`), 0, 64 * 1024, ((round * 131) % 40) * 64 * 1024);
    closeSync(fd);
  }
}
