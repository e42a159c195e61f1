// The keywords of a JSON Schema that core/src/json-check.ts does not understand (it would pass
// values they refuse): the checks of the schemas copied out of TypeBox want none.

import { SUPPORTED_KEYWORDS } from '../../core/src/json-check.js';

export function unsupportedKeywords(schema: unknown): string[] {
  const found: string[] = [];
  const visit = (s: unknown): void => {
    if (Array.isArray(s)) return s.forEach(visit);
    if (typeof s !== 'object' || s === null) return;
    for (const [k, v] of Object.entries(s)) {
      if (k === 'properties' || k === 'patternProperties') Object.values(v as object).forEach(visit);
      else if (k !== 'default') {
        if (!SUPPORTED_KEYWORDS.has(k)) found.push(k);
        visit(v);
      }
    }
  };
  visit(schema);
  return found;
}
