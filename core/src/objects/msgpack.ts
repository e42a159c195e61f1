// A canonical MessagePack subset for content-addressed objects.
//
// Object digests are hashes of these bytes, so the encoding must never change with a
// library upgrade: a different byte for the same tree would silently break dedup
// against every earlier backup. We therefore own the encoder. Rules:
//  - integers use the shortest encoding (bigint and number encode identically);
//  - maps are written in the key order the caller gives (codecs fix that order);
//  - strings are UTF-8, byte strings are `bin`;
//  - floats are not allowed (no field needs them, and they invite ambiguity).
// The decoder accepts exactly what the encoder writes plus any valid msgpack of the same
// types, and bounds nesting and lengths so hostile input cannot exhaust memory.

export type MsgValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | MsgValue[]
  | MsgMap;

/** A map with string keys, encoded in insertion order. */
export interface MsgMap {
  [key: string]: MsgValue | undefined;
}

const textEncoder = new TextEncoder();
// ignoreBOM: a string that begins with U+FEFF keeps it (the default drops it: a file named
// "\uFEFFx" came back as "x"; found by tests/fuzz/codecs).
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }
  u64(v: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, v);
    this.length += 8;
  }
  /** A string known to be ASCII, one byte per character. */
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeInt(w: Writer, v: bigint): void {
  if (v >= 0n) {
    if (v < 128n) w.u8(Number(v));
    else if (v < 0x100n) { w.u8(0xcc); w.u8(Number(v)); }
    else if (v < 0x10000n) { w.u8(0xcd); w.u16(Number(v)); }
    else if (v < 0x100000000n) { w.u8(0xce); w.u32(Number(v)); }
    else if (v < 0x10000000000000000n) { w.u8(0xcf); w.u64(v); }
    else throw new RangeError(`integer ${v} exceeds 64 bits`);
  } else {
    if (v >= -32n) w.u8(0x100 + Number(v));
    else if (v >= -0x80n) { w.u8(0xd0); w.u8(Number(v) & 0xff); }
    else if (v >= -0x8000n) { w.u8(0xd1); w.u16(Number(v) & 0xffff); }
    else if (v >= -0x80000000n) { w.u8(0xd2); w.u32(Number(v) >>> 0); }
    else if (v >= -0x8000000000000000n) { w.u8(0xd3); w.i64(v); }
    else throw new RangeError(`integer ${v} exceeds 64 bits`);
  }
}

function writeLength(w: Writer, n: number, fix: number, fixMax: number, c8: number | null, c16: number, c32: number): void {
  if (n <= fixMax) w.u8(fix | n);
  else if (c8 !== null && n < 0x100) { w.u8(c8); w.u8(n); }
  else if (n < 0x10000) { w.u8(c16); w.u16(n); }
  else { w.u8(c32); w.u32(n); }
}

/**
 * writeInt for numbers within 32 bits without going through BigInt: the same bytes, at a
 * fraction of the cost (trees hold ~10 integers per entry; a backup encodes every tree).
 */
function writeSmallInt(w: Writer, v: number): void {
  if (v >= 0) {
    if (v < 128) w.u8(v);
    else if (v < 0x100) { w.u8(0xcc); w.u8(v); }
    else if (v < 0x10000) { w.u8(0xcd); w.u16(v); }
    else { w.u8(0xce); w.u32(v); }
  } else {
    if (v >= -32) w.u8(0x100 + v);
    else if (v >= -0x80) { w.u8(0xd0); w.u8(v & 0xff); }
    else if (v >= -0x8000) { w.u8(0xd1); w.u16(v & 0xffff); }
    else { w.u8(0xd2); w.u32(v >>> 0); }
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function writeString(w: Writer, v: string): void {
  // ASCII (almost every file name) is its own UTF-8: no encoder allocation needed.
  if (v.length < 0x10000 && isAscii(v)) {
    writeLength(w, v.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    w.ascii(v);
    return;
  }
  const b = textEncoder.encode(v);
  writeLength(w, b.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
  w.bytes(b);
}

function writeValue(w: Writer, v: MsgValue): void {
  if (v === null) w.u8(0xc0);
  else if (v === false) w.u8(0xc2);
  else if (v === true) w.u8(0xc3);
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`only safe integers are encodable, got ${v}`);
    if (v >= -0x80000000 && v <= 0xffffffff) writeSmallInt(w, v);
    else writeInt(w, BigInt(v));
  } else if (typeof v === 'bigint') {
    if (v >= -0x80000000n && v <= 0xffffffffn) writeSmallInt(w, Number(v));
    else writeInt(w, v);
  } else if (typeof v === 'string') writeString(w, v);
  else if (v instanceof Uint8Array) {
    if (v.length < 0x100) { w.u8(0xc4); w.u8(v.length); }
    else if (v.length < 0x10000) { w.u8(0xc5); w.u16(v.length); }
    else { w.u8(0xc6); w.u32(v.length); }
    w.bytes(v);
  } else if (Array.isArray(v)) {
    writeLength(w, v.length, 0x90, 15, null, 0xdc, 0xdd);
    for (const item of v) writeValue(w, item);
  } else {
    let count = 0;
    for (const k in v) if (v[k] !== undefined) count++;
    writeLength(w, count, 0x80, 15, null, 0xde, 0xdf);
    for (const k in v) {
      const value = v[k];
      if (value === undefined) continue;
      writeString(w, k);
      writeValue(w, value);
    }
  }
}

export function encode(value: MsgValue): Uint8Array {
  const w = new Writer();
  writeValue(w, value);
  return w.result();
}

export class MsgpackError extends Error {}

/** Nesting deeper than this is refused by every reader of msgpack here. */
export const MAX_DEPTH = 64;

/** A bounds-checked cursor over msgpack bytes (also used by tree-refs.ts, which skips values). */
export class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MsgpackError(`truncated at byte ${this.pos}`);
  }
  u8(): number { this.need(1); return this.buf[this.pos++] as number; }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos); this.pos += 4; return v; }
  skip(n: number): void { this.need(n); this.pos += n; }
  bytes(n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  u64(): bigint { this.need(8); const v = this.view.getBigUint64(this.pos); this.pos += 8; return v; }
  i64(): bigint { this.need(8); const v = this.view.getBigInt64(this.pos); this.pos += 8; return v; }
}

/** Integers decode as number when safe, else bigint; callers normalize with `asBigInt`. */
export function int(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function readValue(r: Reader, depth: number): MsgValue {
  if (depth > MAX_DEPTH) throw new MsgpackError('nesting too deep');
  const t = r.u8();
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t >= 0x80 && t <= 0x8f) return readMap(r, t & 0x0f, depth);
  if (t >= 0x90 && t <= 0x9f) return readArray(r, t & 0x0f, depth);
  if (t >= 0xa0 && t <= 0xbf) return readString(r, t & 0x1f);
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return readBin(r, r.u8());
    case 0xc5: return readBin(r, r.u16());
    case 0xc6: return readBin(r, r.u32());
    case 0xcc: return r.u8();
    case 0xcd: return r.u16();
    case 0xce: return r.u32();
    case 0xcf: return int(r.u64());
    case 0xd0: { const v = r.u8(); return v >= 0x80 ? v - 0x100 : v; }
    case 0xd1: { const v = r.u16(); return v >= 0x8000 ? v - 0x10000 : v; }
    case 0xd2: { const v = r.u32(); return v >= 0x80000000 ? v - 0x100000000 : v; }
    case 0xd3: return int(r.i64());
    case 0xd9: return readString(r, r.u8());
    case 0xda: return readString(r, r.u16());
    case 0xdb: return readString(r, r.u32());
    case 0xdc: return readArray(r, r.u16(), depth);
    case 0xdd: return readArray(r, r.u32(), depth);
    case 0xde: return readMap(r, r.u16(), depth);
    case 0xdf: return readMap(r, r.u32(), depth);
    default: throw new MsgpackError(`unsupported type byte 0x${t.toString(16)} at ${r.pos - 1}`);
  }
}

function readString(r: Reader, n: number): string {
  r.need(n);
  const start = r.pos;
  r.pos += n;
  if (n === 2) {
    const a = r.buf[start] as number;
    const b = r.buf[start + 1] as number;
    if (a < 0x80 && b < 0x80) return (twoChars[(a << 7) | b] ??= String.fromCharCode(a, b));
  }
  if (n <= SHORT_STRING) {
    const ascii = asciiString(r.buf, start, r.pos);
    if (ascii !== null) return ascii;
  }
  try {
    return textDecoder.decode(r.buf.subarray(start, r.pos));
  } catch {
    throw new MsgpackError(`invalid UTF-8 string at byte ${r.pos - n}`);
  }
}

/**
 * Strings up to this many bytes are tried as ASCII first: every map key and most file names.
 * A TextDecoder call costs more than the few characters it makes (measured: tree decoding
 * spent a third of its time there).
 */
const SHORT_STRING = 64;

/**
 * Two-character ASCII strings made once each (the codecs' map keys are one or two characters;
 * single characters V8 caches itself): the same string every time is a property key V8 has
 * already internalized.
 */
const twoChars: Array<string | undefined> = new Array(1 << 14);

/** The characters of bytes [start, end) when all are ASCII (valid UTF-8 as they are), or null. */
function asciiString(bytes: Uint8Array, start: number, end: number): string | null {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80) return null;
    s += String.fromCharCode(b);
  }
  return s;
}

/** `slice` of the input: a copy of a Uint8Array, a view of a Buffer (Buffer#slice), as before. */
function readBin(r: Reader, n: number): Uint8Array {
  r.need(n);
  r.pos += n;
  return r.buf.slice(r.pos - n, r.pos);
}

function readArray(r: Reader, n: number, depth: number): MsgValue[] {
  // every element takes at least one byte, so a length beyond the remaining input is a lie
  r.need(n);
  const out: MsgValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
  return out;
}

function readMap(r: Reader, n: number, depth: number): MsgMap {
  r.need(n * 2);
  // A literal, not Object.create(null): maps of one shape (every tree entry) then share a
  // hidden class and read as fast properties (a null-prototype object is a dictionary; tree
  // decoding spent a third of its time here). The one key a literal would not keep as its
  // own property, __proto__, is defined as one.
  const out: MsgMap = {};
  for (let i = 0; i < n; i++) {
    const k = readValue(r, depth + 1);
    if (typeof k !== 'string') throw new MsgpackError('map keys must be strings');
    if (Object.hasOwn(out, k)) throw new MsgpackError(`duplicate map key ${k}`);
    const v = readValue(r, depth + 1);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

export function decode(bytes: Uint8Array): MsgValue {
  const r = new Reader(bytes);
  const v = readValue(r, 0);
  if (r.pos !== bytes.length) throw new MsgpackError(`${bytes.length - r.pos} trailing bytes`);
  return v;
}

// Narrowing helpers for codecs that turn decoded values into typed records.

export function isMap(v: MsgValue | undefined): v is MsgMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function asBigInt(v: MsgValue | undefined, field: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new MsgpackError(`${field}: expected an integer`);
}

export function asSafeInt(v: MsgValue | undefined, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new MsgpackError(`${field}: expected an integer below 2^53`);
}

export function asString(v: MsgValue | undefined, field: string): string {
  if (typeof v === 'string') return v;
  throw new MsgpackError(`${field}: expected a string`);
}

export function asBytes(v: MsgValue | undefined, field: string, length?: number): Uint8Array {
  if (v instanceof Uint8Array && (length === undefined || v.length === length)) return v;
  throw new MsgpackError(`${field}: expected ${length ?? 'some'} bytes`);
}

export function asArray(v: MsgValue | undefined, field: string): MsgValue[] {
  if (Array.isArray(v)) return v;
  throw new MsgpackError(`${field}: expected an array`);
}
