// JSON.parse rounds integers above 2^53 (smartctl prints 56-bit vendor raw values such as
// 9023116403587028 for a Seagate's power-on hours): this small parser keeps every integer
// that is not a safe JS number as a bigint. Everything else follows JSON (RFC 8259).

export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

export class JsonSyntaxError extends Error {}

export function parseExactJson(text: string): ExactJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const value = (depth: number): ExactJson => {
    if (depth > 64) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: ExactJson } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: ExactJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++;
    let simple = true;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        simple = false;
        i++;
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    const raw = text.slice(start, i);
    return simple ? raw.slice(1, -1) : (JSON.parse(raw) as string);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** Typed readers over an ExactJson tree: tolerant of anything missing or mistyped. */
export type Node = ExactJson | undefined;

export function obj(v: Node): { [key: string]: ExactJson } | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
}

export function at(v: Node, ...path: Array<string | number>): Node {
  let cur: Node = v;
  for (const p of path) {
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p] : undefined;
    else {
      const o = obj(cur);
      cur = o && Object.hasOwn(o, p) ? o[p] : undefined;
    }
  }
  return cur;
}

export function num(v: Node): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

export function str(v: Node): string | null {
  return typeof v === 'string' ? v : null;
}

export function bool(v: Node): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

export function arr(v: Node): ExactJson[] {
  return Array.isArray(v) ? v : [];
}

/** An exact decimal string for an integer node (number or bigint), else null. */
export function intString(v: Node): string | null {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return null;
}
