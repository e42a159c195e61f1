// A source tree with every kind of entry the walker records, with exact metadata to compare
// after a restore: xattrs, setuid, hard links, symlinks (relative, absolute, dangling),
// a fifo, device nodes and foreign ownership (as root), a sparse file, a name that is not
// UTF-8, a file large enough to need a list object, nanosecond mtimes everywhere.

import { chmodSync, closeSync, ftruncateSync, lchownSync, linkSync, mkdirSync, openSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PosixOps } from '../../client/src/fs/posix-ops.js';
import { seededBytes } from './real-data.js';

export interface SourceOptions {
  asRoot: boolean;
  /** Bytes of the file that needs a list object (> 64 chunks at ~1 MiB). */
  largeBytes?: number;
}

export async function makeSourceTree(src: string, posix: PosixOps, o: SourceOptions): Promise<void> {
  mkdirSync(join(src, 'sub/deep'), { recursive: true });
  mkdirSync(join(src, 'private'), { mode: 0o700 });
  writeFileSync(join(src, 'empty'), '');
  writeFileSync(join(src, 'a.txt'), 'hello haven\n');
  await posix.writeXattr(join(src, 'a.txt'), 'user.note', Buffer.from('abc'));
  await posix.writeXattr(join(src, 'a.txt'), 'user.bin', Buffer.from([0, 255, 7]));
  await posix.writeXattr(join(src, 'sub'), 'user.dir', Buffer.from('1'));
  writeFileSync(join(src, 'suid'), '#!/bin/sh\n');
  chmodSync(join(src, 'suid'), 0o4755);
  writeFileSync(join(src, 'odd-mode'), 'x');
  chmodSync(join(src, 'odd-mode'), 0o640);
  writeFileSync(join(src, 'sub/random.bin'), seededBytes(3 << 20, 'random'));
  writeFileSync(join(src, 'sub/large.bin'), seededBytes(o.largeBytes ?? 72 << 20, 'large'));
  writeFileSync(join(src, 'sub/hl1'), 'linked content');
  linkSync(join(src, 'sub/hl1'), join(src, 'hl2'));
  linkSync(join(src, 'sub/hl1'), join(src, 'sub/deep/hl3'));
  symlinkSync('a.txt', join(src, 'link-rel'));
  symlinkSync('/etc/passwd', join(src, 'link-abs'));
  symlinkSync('nowhere/x', join(src, 'dangling'));
  await posix.mkfifo(join(src, 'pipe'), 0o620);
  // sparse: 16 MiB with 1 MiB of data at 6 MiB, holes before, after and at the end
  const fd = openSync(join(src, 'sparse.img'), 'w');
  writeSync(fd, seededBytes(1 << 20, 'sparse'), 0, 1 << 20, 6 << 20);
  ftruncateSync(fd, 16 << 20);
  closeSync(fd);
  writeFileSync(Buffer.from(`${src}/caf\xe9-latin1`, 'latin1'), 'not utf-8 name');
  writeFileSync(join(src, 'private/secret'), 's');
  if (o.asRoot) {
    await posix.mknod(join(src, 'null'), 'chardev', 0o666, statSync('/dev/null').rdev);
    await posix.mknod(join(src, 'blk'), 'blockdev', 0o660, 0x0801);
    lchownSync(join(src, 'a.txt'), 1234, 5678);
    lchownSync(join(src, 'link-rel'), 2345, 3456);
    lchownSync(join(src, 'private'), 4321, 8765);
  }
  // nanosecond mtimes, symlinks included; directories last (creating entries changes them)
  let ns = 1_600_000_000_123_456_789n;
  const stamp = async (p: string | Buffer): Promise<void> => {
    await posix.setTimes(p, ns, true);
    ns += 1_000_000_007n;
  };
  for (const f of ['empty', 'a.txt', 'suid', 'odd-mode', 'sub/random.bin', 'sub/large.bin', 'sub/hl1', 'link-rel', 'link-abs', 'dangling', 'pipe', 'sparse.img', 'private/secret']) {
    await stamp(join(src, f));
  }
  await stamp(Buffer.from(`${src}/caf\xe9-latin1`, 'latin1'));
  if (o.asRoot) for (const f of ['null', 'blk']) await stamp(join(src, f));
  for (const d of ['sub/deep', 'sub', 'private', '.']) await stamp(join(src, d));
}
