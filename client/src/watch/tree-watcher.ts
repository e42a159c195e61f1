// inotify watches on every directory of a backup's sources, for `haven backup --watch`. It
// only tells WHEN something changed: every snapshot is a full walk through the files cache
// (unchanged files cost one lstat), so the watcher never has to know WHAT changed, and a
// lost event queue (IN_Q_OVERFLOW) costs a rescan of the watches, never a missed change.
//
// New directories: the watch on a new directory is added a moment after it appears, and
// files created in between raise no event. The snapshot that the directory's own event
// schedules waits for that watch (idle()), so it walks the directory after the watch exists:
// whatever came before is in that walk, whatever comes after raises an event.
//
// What the backup leaves out does not wake it: an excluded entry's events are dropped and an
// excluded directory, a cache directory (--exclude-caches) or another file system
// (--one-file-system) is not watched, so a log file the backup excludes, written every second,
// does not make a snapshot every debounce.

import { lstat, readdir } from 'node:fs/promises';
import type { HavenAddon, InotifyEvent, InotifyWatcherBinding, NativePath } from '../../../core/src/native/addon.js';
import type { PathMatcher } from '../../../core/src/text/path-glob.js';
import { CACHEDIR_TAG, isCacheTag } from '../backup/excludes.js';
import { componentsOf } from '../backup/source-layout.js';
import { joinPath, showPath, utf8OrNull, type DirName } from '../fs/names.js';

/** What the backup leaves out, which the watcher then does not watch (backup-run.ts's walk). */
export interface WatchScope {
  oneFileSystem?: boolean;
  /** --exclude patterns, matched as the walk matches them: (stored path, name). */
  exclude?: PathMatcher;
  excludeCaches?: boolean;
}

export interface TreeWatcherListener {
  /** Something under the sources changed, or may have (an overflow). */
  changed(): void;
  /** A line for the log (overflows, the watch limit, unwatchable directories). */
  notice(line: string): void;
}

/** The path as one comparable string of its bytes (names that are not UTF-8 come as Buffers). */
function keyOf(p: NativePath): string {
  return (typeof p === 'string' ? Buffer.from(p) : p).toString('latin1');
}

/** A source's path as stored in the snapshot (source-layout.ts: as given, without a leading /). */
function storedRoot(root: string): string {
  return componentsOf(root).components.join('/');
}

function storedChild(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** A path's device number (st_dev), or undefined when it is gone. */
async function deviceOf(path: NativePath): Promise<bigint | undefined> {
  try {
    return (await lstat(path, { bigint: true })).dev;
  } catch {
    return undefined;
  }
}

function dirName(name: string | Buffer): DirName {
  if (typeof name === 'string') return { name };
  const text = utf8OrNull(name);
  return text === null ? { name: name.toString('utf8'), raw: name } : { name: text };
}

export class TreeWatcher {
  private readonly binding: InotifyWatcherBinding;
  private readonly bits: HavenAddon['inotifyBits'];
  private readonly dirMask: number;
  private readonly pathOf = new Map<number, NativePath>();
  /** Each watched directory's path as stored in the snapshot (what excludes match). */
  private readonly storedOf = new Map<number, string>();
  private readonly wdOf = new Map<string, number>();
  private scans = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  /** Set once a directory could not be watched (fs.inotify.max_user_watches, EACCES): changes there are found by periodic rescans. */
  incomplete = false;
  private limitNoticed = false;
  overflows = 0;

  constructor(
    private readonly roots: readonly string[], addon: HavenAddon, private readonly listener: TreeWatcherListener,
    private readonly options: WatchScope = {},
  ) {
    this.bits = addon.inotifyBits;
    const b = this.bits;
    this.dirMask = b.IN_MODIFY | b.IN_ATTRIB | b.IN_CLOSE_WRITE | b.IN_MOVED_FROM | b.IN_MOVED_TO | b.IN_CREATE | b.IN_DELETE
      | b.IN_DELETE_SELF | b.IN_MOVE_SELF | b.IN_DONT_FOLLOW | b.IN_EXCL_UNLINK;
    this.binding = new addon.InotifyWatcher((events) => this.onEvents(events));
  }

  /** Watches every directory under the roots (and the roots that are files). */
  async start(): Promise<void> {
    await Promise.all(this.roots.map((r) => this.watchTree(r, storedRoot(r), true)));
  }

  /** Watches the roots that lost theirs (deleted or replaced since): after each snapshot. */
  async rewatchRoots(): Promise<void> {
    await Promise.all(this.roots.filter((r) => !this.wdOf.has(keyOf(r))).map((r) => this.watchTree(r, storedRoot(r), true)));
  }

  /** Resolves when no directory is being scanned for watches (a snapshot starts only then). */
  idle(): Promise<void> {
    if (this.scans === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get watchCount(): number {
    return this.pathOf.size;
  }

  close(): void {
    this.closed = true;
    this.binding.close();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private onEvents(events: InotifyEvent[]): void {
    const b = this.bits;
    let changed = false;
    let overflow = false;
    for (const e of events) {
      if (e.mask & b.IN_Q_OVERFLOW) {
        overflow = true;
        continue;
      }
      if (e.mask & b.IN_IGNORED) {
        this.forget(e.wd);
        continue;
      }
      const dir = this.pathOf.get(e.wd);
      // a watch removed a moment ago (its directory moved away)
      if (dir === undefined) continue;
      const name = e.name === undefined ? null : dirName(e.name);
      const stored = name === null ? null : storedChild(this.storedOf.get(e.wd) ?? '', name.name);
      // an entry the backup excludes: nothing it does changes a snapshot
      if (name !== null && stored !== null && this.options.exclude?.(stored, name.name)) continue;
      changed = true;
      if (!(e.mask & b.IN_ISDIR) || name === null || stored === null) continue;
      const child = joinPath(dir, name);
      if (e.mask & (b.IN_CREATE | b.IN_MOVED_TO)) void this.watchTree(child, stored, false);
      else if (e.mask & b.IN_MOVED_FROM) this.unwatchTree(child);
    }
    if (overflow) {
      this.overflows++;
      this.listener.notice('the kernel\'s inotify queue overflowed (events were lost): rescanning the whole tree');
      void this.start();
    }
    if (changed || overflow) this.listener.changed();
  }

  /** Watches `top` (stored in the snapshot as `topStored`) and every directory below it the backup walks. */
  private async watchTree(top: NativePath, topStored: string, isRoot: boolean): Promise<void> {
    this.scans++;
    try {
      const stack: Array<{ dir: NativePath; stored: string }> = [{ dir: top, stored: topStored }];
      const device = this.options.oneFileSystem ? await deviceOf(top) : null;
      while (stack.length > 0 && !this.closed) {
        const { dir, stored } = stack.pop() as { dir: NativePath; stored: string };
        if (!(await this.watch(dir, stored, isRoot && dir === top))) continue;
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
        } catch {
          continue; // gone or replaced meanwhile: its parent's event says so
        }
        // a cache directory is backed up with its tag only: its churn is not watched
        if (this.options.excludeCaches && entries.some((d) => d.isFile() && d.name.toString('latin1') === CACHEDIR_TAG)
          && isCacheTag(joinPath(dir, { name: CACHEDIR_TAG }))) {
          this.unwatchTree(dir);
          continue;
        }
        for (const d of entries) {
          if (!d.isDirectory()) continue;
          const name = dirName(d.name);
          const sub = joinPath(dir, name);
          const subStored = storedChild(stored, name.name);
          if (this.options.exclude?.(subStored, name.name)) continue;
          // a mount point is backed up empty: what is below it is not watched either
          if (device === null || (await deviceOf(sub)) === device) stack.push({ dir: sub, stored: subStored });
        }
      }
    } finally {
      this.scans--;
      if (this.scans === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Adds one watch; false when `path` is no directory to descend into. */
  private async watch(path: NativePath, stored: string, isRoot: boolean): Promise<boolean> {
    const b = this.bits;
    let isDir = true;
    if (isRoot) {
      try {
        isDir = (await lstat(path)).isDirectory();
      } catch (err) {
        this.listener.notice(`${showPath(path)}: ${(err as Error).message}; watched again after the next snapshot`);
        return false;
      }
    }
    if (this.closed) return false;
    try {
      const wd = this.binding.addWatch(path, isDir ? this.dirMask | b.IN_ONLYDIR : this.dirMask);
      const old = this.wdOf.get(keyOf(path));
      if (old !== undefined && old !== wd) {
        this.pathOf.delete(old);
        this.storedOf.delete(old);
      }
      this.pathOf.set(wd, path);
      this.storedOf.set(wd, stored);
      this.wdOf.set(keyOf(path), wd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false; // gone or replaced meanwhile
      if (code === 'ENOSPC') this.reachLimit(path);
      else this.listener.notice(`${showPath(path)}: not watched (${code ?? (err as Error).message}); found by the periodic rescan`);
      this.incomplete = true;
      return false;
    }
    return isDir;
  }

  private reachLimit(path: NativePath): void {
    if (this.limitNoticed) return;
    this.limitNoticed = true;
    this.listener.notice(
      `${showPath(path)}: the inotify watch limit (fs.inotify.max_user_watches) is reached; changes in unwatched directories `
      + 'are found by periodic full rescans instead. Raise it (sysctl fs.inotify.max_user_watches=N) for snapshots within seconds',
    );
  }

  /** A directory moved away: its watches would report under a stale path. A move within the tree re-adds them (IN_MOVED_TO). */
  private unwatchTree(top: NativePath): void {
    const topKey = keyOf(top);
    for (const [key, wd] of this.wdOf) {
      if (key !== topKey && !key.startsWith(`${topKey}/`)) continue;
      this.wdOf.delete(key);
      this.pathOf.delete(wd);
      this.storedOf.delete(wd);
      this.binding.removeWatch(wd);
    }
  }

  private forget(wd: number): void {
    const path = this.pathOf.get(wd);
    if (path === undefined) return;
    this.pathOf.delete(wd);
    this.storedOf.delete(wd);
    if (this.wdOf.get(keyOf(path)) === wd) this.wdOf.delete(keyOf(path));
  }
}
