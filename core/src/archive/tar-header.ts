// POSIX tar (pax interchange format, POSIX.1-2001) headers: a 512-byte ustar block per entry,
// preceded by a pax extended header when a field does not fit ustar (long or non-ASCII
// names, sizes of 8 GiB and more, large ids) or carries extended attributes.

export const BLOCK = 512;

export type TarType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'dir' | 'fifo';
const TYPE_FLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };

export interface TarEntry {
  path: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs?: Array<[string, Uint8Array]>;
}

const MAX_OCTAL_11 = 0o77777777777; // 12-byte numeric fields: 11 octal digits
const MAX_OCTAL_7 = 0o7777777; // 8-byte numeric fields: 7 octal digits

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** One "len key=value\n" record; len counts the whole record including its own digits. */
function paxRecord(key: string, value: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function fitsUstarName(path: string): boolean {
  return /^[\x20-\x7e]*$/.test(path) && Buffer.byteLength(path) <= 100;
}

function ustarBlock(e: TarEntry, name: string, size: number, type: string, link: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, e.mode & 0o7777);
  writeOctal(block, 108, 8, Math.min(e.uid, MAX_OCTAL_7));
  writeOctal(block, 116, 8, Math.min(e.gid, MAX_OCTAL_7));
  writeOctal(block, 124, 12, Math.min(size, MAX_OCTAL_11));
  const seconds = Number(e.mtimeNs / 1_000_000_000n);
  writeOctal(block, 136, 12, Math.max(0, Math.min(seconds, MAX_OCTAL_11)));
  block.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  block.write(type, 156, 1, 'ascii');
  writeString(block, 157, 100, link);
  block.write('ustar\x0000', 257, 8, 'ascii');
  writeOctal(block, 329, 8, Math.min(e.devMajor ?? 0, MAX_OCTAL_7));
  writeOctal(block, 337, 8, Math.min(e.devMinor ?? 0, MAX_OCTAL_7));
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The header blocks of an entry (pax header first when needed); content and its padding follow. */
export function tarHeader(e: TarEntry): Buffer {
  const records: Buffer[] = [];
  const link = e.linkTarget ?? '';
  if (!fitsUstarName(e.path)) records.push(paxRecord('path', Buffer.from(e.path)));
  if (!fitsUstarName(link)) records.push(paxRecord('linkpath', Buffer.from(link)));
  if (e.size > MAX_OCTAL_11) records.push(paxRecord('size', Buffer.from(String(e.size))));
  if (e.uid > MAX_OCTAL_7) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (e.gid > MAX_OCTAL_7) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  for (const [k, v] of e.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = ustarBlock(e, fitsUstarName(e.path) ? e.path : asciiFallback(e.path), e.size, TYPE_FLAG[e.type], fitsUstarName(link) ? link : asciiFallback(link));
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const paxHeader = ustarBlock({ ...e, mode: 0o644 }, asciiFallback(`PaxHeaders/${e.path}`), pax.length, 'x', '');
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), main]);
}

/** What a reader without pax support sees instead of a long or non-ASCII name. */
function asciiFallback(path: string): string {
  return path.replace(/[^\x20-\x7e]/g, '_').slice(-100);
}

export function contentPadding(size: number): Buffer {
  return Buffer.alloc(padding(size));
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
