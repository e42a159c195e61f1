// Checks a JSON value against a JSON Schema of the subset TypeBox emits for our wire types
// (type, properties/required, additionalProperties: false, patternProperties, items, anyOf,
// const, pattern, minLength/maxLength, minimum/maximum, minItems/maxItems). Used for the
// appliance's answers in the client (schemas from core/src/api via json-schemas.ts) and the daemon's
// configuration (daemon/src/config/config-schema-json.ts): neither loads TypeBox at run time.

export type JsonSchema = { readonly [keyword: string]: unknown };

export const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'items', 'anyOf', 'const', 'pattern',
  'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format', 'description', 'default',
]);

const patterns = new Map<string, RegExp>();
function re(p: string): RegExp {
  let r = patterns.get(p);
  if (!r) {
    r = new RegExp(p, 'u');
    patterns.set(p, r);
  }
  return r;
}

function typeOk(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: return false;
  }
}

/** Null when `value` satisfies `schema`, else where and why it does not. */
export function checkJson(schema: JsonSchema, value: unknown, at = ''): string | null {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) {
    for (const alt of s.anyOf as JsonSchema[]) if (checkJson(alt, value, at) === null) return null;
    return `${at || '/'} matches none of the alternatives`;
  }
  if (s.type !== undefined && !typeOk(s.type, value)) return `${at || '/'} should be ${String(s.type)}`;
  if (s.const !== undefined && value !== s.const) return `${at || '/'} should be ${JSON.stringify(s.const)}`;
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !re(s.pattern).test(value)) return `${at || '/'} does not match ${s.pattern}`;
    if (typeof s.minLength === 'number' && value.length < s.minLength) return `${at || '/'} is too short`;
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) return `${at || '/'} is too long`;
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) return `${at || '/'} is below ${s.minimum}`;
    if (typeof s.maximum === 'number' && value > s.maximum) return `${at || '/'} is above ${s.maximum}`;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) return `${at || '/'} has too few items`;
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) return `${at || '/'} has too many items`;
    if (s.items) {
      for (let i = 0; i < value.length; i++) {
        const problem = checkJson(s.items as JsonSchema, value[i], `${at}/${i}`);
        if (problem) return problem;
      }
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    // Own keys only: "toString" or "constructor" is neither a property the schema names nor one a value has.
    for (const key of (s.required ?? []) as string[]) if (!Object.hasOwn(obj, key)) return `${at}/${key} is missing`;
    const patternProps = Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema>);
    for (const [key, v] of Object.entries(obj)) {
      const p = Object.hasOwn(props, key) ? props[key] : undefined;
      if (p) {
        const problem = checkJson(p, v, `${at}/${key}`);
        if (problem) return problem;
        continue;
      }
      const pp = patternProps.find(([pattern]) => re(pattern).test(key));
      if (pp) {
        const problem = checkJson(pp[1], v, `${at}/${key}`);
        if (problem) return problem;
      } else if (s.additionalProperties === false) return `${at}/${key} is not allowed`;
    }
  }
  return null;
}
