import { ObjectKind } from '../../core/src/objects/kinds.js';

export const ALL_KINDS_FOR_READ: ReadonlySet<number> = new Set(Object.values(ObjectKind));
