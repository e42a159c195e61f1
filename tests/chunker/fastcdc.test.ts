import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNKER_ALGORITHM, type ChunkerParams } from '../../core/src/api/backup.js';
import { cutAll, nativeCutter, tsCutter } from '../../core/src/chunker/cutter.js';
import { fastcdcSetup, gearTable, topBitsMask } from '../../core/src/chunker/fastcdc.js';
import { ADDON_AREAS, loadAddon } from '../../core/src/native/addon.js';
import { sha256, toHex } from '../../core/src/objects/digest.js';
import { need } from '../helpers/prereq.js';
import { realData, seededBytes } from '../helpers/real-data.js';

const SEED = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const params = (seed = SEED, min = 256 * 1024, avg = 1024 * 1024, max = 4 * 1024 * 1024): ChunkerParams =>
  ({ algorithm: CHUNKER_ALGORITHM, seed, minSize: min, avgSize: avg, maxSize: max });

test('the gear table and masks are pinned (changing them breaks dedup with every existing backup)', () => {
  const gear = gearTable(Buffer.from(SEED, 'hex'));
  assert.equal(gear.length, 256);
  assert.equal(toHex(sha256(Buffer.from(gear.buffer))).slice(0, 16), GEAR_TABLE_PIN);
  const s = fastcdcSetup(params());
  assert.equal(s.maskS, 0xfffffc00); // 22 high bits
  assert.equal(s.maskL, 0xffffc000); // 18 high bits
  assert.equal(topBitsMask(32), 0xffffffff);
  assert.throws(() => fastcdcSetup(params(SEED, 1000, 3000, 9000)), /power of two/);
  assert.throws(() => fastcdcSetup({ ...params(), seed: 'zz' }), /seed/);
});

test('cut points of the reference chunker are pinned and respect min/max', () => {
  const data = seededBytes(24 << 20, 'pinned');
  const lengths = cutAll(tsCutter(fastcdcSetup(params())), data);
  assert.equal(lengths.reduce((a, b) => a + b, 0), data.length);
  for (const n of lengths.slice(0, -1)) assert.ok(n >= 256 * 1024 && n <= 4 * 1024 * 1024, `chunk of ${n}`);
  assert.deepEqual(lengths.slice(0, 6), CUT_PIN);
  // a small input is one chunk
  assert.deepEqual(cutAll(tsCutter(fastcdcSetup(params())), data.subarray(0, 1000)), [1000]);
});

test('average chunk size on random data is near the configured average', () => {
  const s = fastcdcSetup(params(SEED, 2048, 8192, 32768));
  const lengths = cutAll(tsCutter(s), seededBytes(16 << 20, 'avg'));
  const mean = (16 << 20) / lengths.length;
  assert.ok(mean > 6000 && mean < 12000, `mean chunk ${mean}`);
});

test('a change in the middle of a stream moves only nearby boundaries', () => {
  const s = fastcdcSetup(params(SEED, 2048, 8192, 32768));
  const a = seededBytes(4 << 20, 'shift');
  const b = Buffer.concat([a.subarray(0, 1 << 21), Buffer.from('inserted bytes'), a.subarray(1 << 21)]);
  const cuts = (buf: Buffer): Set<string> => {
    const out = new Set<string>();
    let pos = 0;
    for (const n of cutAll(tsCutter(s), buf)) {
      out.add(toHex(sha256(buf.subarray(pos, pos + n))));
      pos += n;
    }
    return out;
  };
  const ca = cuts(a);
  const cb = cuts(b);
  const shared = [...ca].filter((d) => cb.has(d)).length;
  assert.ok(shared >= ca.size - 3, `${shared} of ${ca.size} chunks survive an insertion`);
});

test('native and TypeScript chunkers give identical cut points over >= 100 MiB of random and real data', (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`)) return;
  const addon = load.addon as NonNullable<typeof load.addon>;
  for (const area of ADDON_AREAS) assert.ok(addon.areas.includes(area), `addon registers ${area}`);
  const inputs: Array<[string, Buffer]> = [
    ['random', seededBytes(64 << 20, 'native-vs-ts')],
    ['real', realData(48 << 20)],
  ];
  const real = inputs[1]?.[1] as Buffer;
  assert.ok(real.length >= 36 << 20, `only ${real.length} bytes of real data found`);
  let total = 0;
  const configs = [params(), params('ff'.repeat(32)), params(SEED, 2048, 8192, 32768)];
  for (const [name, data] of inputs) {
    for (const p of configs) {
      const setup = fastcdcSetup(p);
      const native = nativeCutter(addon, setup);
      const ts = tsCutter(setup);
      // Streamed like files are read: windows of 4.5 MiB, the stream ending at the last one.
      const window = 4.5 * 1024 * 1024;
      const fromWindows = (c: typeof ts): number[] => {
        const out: number[] = [];
        for (let pos = 0; pos < data.length;) {
          const n = c.cut(data, pos, Math.min(data.length, pos + window));
          out.push(n);
          pos += n;
        }
        return out;
      };
      const a = fromWindows(native);
      const b = fromWindows(ts);
      assert.equal(a.length, b.length, `${name}: same number of chunks`);
      assert.deepEqual(a, b, `${name} seed ${p.seed.slice(0, 4)} avg ${p.avgSize}: identical cut points`);
      assert.ok(a.length > 10, `${name}: ${a.length} chunks`);
    }
    total += data.length;
  }
  assert.ok(total >= 100 << 20, `compared ${total} bytes`);
});

// Computed once from the specification in docs/FORMAT.md; they must never change.
const GEAR_TABLE_PIN = '0e7b51d11af61943';
const CUT_PIN = [1131782, 1192400, 1684403, 1099441, 1207584, 1116510];
