// Vendor encodings of ATA raw values, decoded into the quantity they stand for. smartctl's
// raw.string already applies its drive database; raw.value is the bare 48/56-bit number and
// is often nonsense read as a count (Scrutiny's false "failed" on Seagates came from that).

/** The leading integer of a raw string ("37054h+12m+58.233s" -> 37054, "26 (Min/Max 13/41)" -> 26). */
export function leadingInt(raw: string): number | null {
  const m = /^\s*(-?\d+)/.exec(raw);
  return m ? Number(m[1]) : null;
}

/** Temperature raw strings: "27 (Min/Max 8/37)", "26 (0 23 0 0 0)", "34", or a packed 48-bit number. */
export function decodeTemperature(raw: string): { current: number | null; min: number | null; max: number | null } {
  const mm = /^\s*(\d+)\s*\(Min\/Max\s+(-?\d+)\/(-?\d+)\)/.exec(raw);
  if (mm) return { current: Number(mm[1]), min: Number(mm[2]), max: Number(mm[3]) };
  const n = leadingInt(raw);
  if (n === null) return { current: null, min: null, max: null };
  if (/^\s*\d+\s*$/.test(raw) && n > 255) {
    // Packed: byte 0 current, bytes 2 and 4 min and max (as smartctl's tempminmax format reads it).
    const v = BigInt(raw.trim());
    const byte = (k: number): number => Number((v >> BigInt(8 * k)) & 0xffn);
    return { current: byte(0), min: byte(2) || null, max: byte(4) || null };
  }
  return { current: n, min: null, max: null };
}

/**
 * Command_Timeout (188) on Seagate/WD packs three 16-bit counters (timeouts over 5 s,
 * 7.5 s, and all). smartctl prints them as "2 2 2" with its drive database, or as the bare
 * 48-bit number (51540393996 = 12<<32 | 12<<16 | 12) without. The count is the largest
 * of the three; a bare number that fits 16 bits is a plain count.
 */
export function decodeCommandTimeout(raw: string): number | null {
  const parts = raw.trim().split(/\s+/);
  if (parts.length === 3 && parts.every((p) => /^\d+$/.test(p))) return Math.max(...parts.map(Number));
  if (/^\d+$/.test(raw.trim())) {
    const v = BigInt(raw.trim());
    if (v <= 0xffffn) return Number(v);
    return Math.max(Number(v & 0xffffn), Number((v >> 16n) & 0xffffn), Number((v >> 32n) & 0xffffn));
  }
  return leadingInt(raw);
}

/** The decoded meaning of an attribute's raw value, by attribute id. */
export function interpretRaw(id: number, raw: string): number | null {
  switch (id) {
    case 188:
      return decodeCommandTimeout(raw);
    case 190:
    case 194:
      return decodeTemperature(raw).current;
    default:
      // Hours ("47060h+35m+00.858s"), counts, and "N (a b c)" forms all lead with the quantity.
      return leadingInt(raw);
  }
}
