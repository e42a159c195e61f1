// Read faults below a real daemon's store, steered from the test through a rules file (after
// the disk lab's faultyfs.py, whose .faults file names byte ranges that fail): each read of a
// segment file checks the rules, so a test can make a range of one segment fail with EIO or
// answer short reads, for a number of reads or until it clears the file. What was injected is
// counted in a second file, so a test can tell that its fault was met.
//
// Short reads are what a pread may legally do (a signal, FUSE, a network file system): the
// store must read on, never take them for a cut record.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from '../../daemon/src/store/segment-io.js';

export interface ReadFaultRule {
  /** The segment's number (its file name without .seg). */
  segment: number;
  /** The byte range [from, to) of the segment whose reads fail. */
  from: number;
  to: number;
  /** eio: the read fails with EIO; short: it returns at most half of what was asked (at least one byte). */
  kind: 'eio' | 'short';
  /** How many reads the rule fails before it heals (a transient fault); absent: until cleared. */
  times?: number;
}

/** What was injected, by rule index: the rules file path with `.hits` appended. */
export function hitsPathOf(rulesPath: string): string {
  return `${rulesPath}.hits`;
}

function eio(): NodeJS.ErrnoException {
  return Object.assign(new Error('EIO: i/o error, read (injected)'), { code: 'EIO', errno: -5, syscall: 'read' });
}

export class SegmentReadFaults implements SegmentFileSystem {
  /** Faults met, by the rules file's text and rule index (a new file starts the counts over). */
  private hits = new Map<number, number>();
  private rulesText = '';

  constructor(private readonly rulesPath: string, private readonly inner: SegmentFileSystem = nodeSegmentFs) {}

  private rules(): ReadFaultRule[] {
    let text: string;
    try {
      text = readFileSync(this.rulesPath, 'utf8');
    } catch {
      text = '';
    }
    if (text !== this.rulesText) {
      this.rulesText = text;
      this.hits = new Map();
    }
    return text.trim() === '' ? [] : (JSON.parse(text) as ReadFaultRule[]);
  }

  /** The rule a read of `length` bytes at `position` of `segment` meets, counted; or null. */
  meet(segment: number, position: number, length: number): ReadFaultRule | null {
    const rules = this.rules();
    const i = rules.findIndex((r, n) => r.segment === segment && position < r.to && position + length > r.from && (r.times === undefined || (this.hits.get(n) ?? 0) < r.times));
    if (i < 0) return null;
    this.hits.set(i, (this.hits.get(i) ?? 0) + 1);
    writeFileSync(hitsPathOf(this.rulesPath), JSON.stringify(Object.fromEntries(this.hits)));
    return rules[i] as ReadFaultRule;
  }

  async open(path: string, flags: number | string, mode?: number): Promise<SegmentHandle> {
    const inner = await this.inner.open(path, flags, mode);
    const segment = Number(basename(path, '.seg'));
    return {
      write: (b, o, l, p) => inner.write(b, o, l, p),
      writev: (b, p) => inner.writev(b, p),
      truncate: (l) => inner.truncate(l),
      datasync: () => inner.datasync(),
      close: () => inner.close(),
      read: async (buffer, offset, length, position) => {
        const rule = this.meet(segment, position, length);
        if (rule?.kind === 'eio') throw eio();
        return inner.read(buffer, offset, rule?.kind === 'short' ? Math.max(1, Math.floor(length / 2)) : length, position);
      },
    };
  }
}
