// The client's own files: the login config and backup profiles (TypeBox, exported to
// client/src/api/json-schemas.ts for checking without loading TypeBox at start-up).

import { Type, type Static } from 'typebox';

export const SavedConfig = Type.Object({
  server: Type.String({ minLength: 1 }),
  token: Type.String({ minLength: 1 }),
  fingerprint: Type.Optional(Type.String({ minLength: 64, maxLength: 200 })),
}, { additionalProperties: false });
export type SavedConfig = Static<typeof SavedConfig>;

export const Profile = Type.Object({
  paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  group: Type.Optional(Type.String()),
  excludes: Type.Optional(Type.Array(Type.String())),
  /** Files of exclude patterns, one per line (`haven backup --exclude-file`). */
  excludeFiles: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Leave out what cache directories hold (`haven backup --exclude-caches`). */
  excludeCaches: Type.Optional(Type.Boolean()),
  /** Stay on each path's file system (`haven backup --one-file-system`). */
  oneFileSystem: Type.Optional(Type.Boolean()),
  tags: Type.Optional(Type.Array(Type.String())),
  server: Type.Optional(Type.String({ minLength: 1 })),
  token: Type.Optional(Type.String({ minLength: 1 })),
  /** A file holding the token (so the profile itself can be world-readable). */
  tokenFile: Type.Optional(Type.String({ minLength: 1 })),
  fingerprint: Type.Optional(Type.String()),
}, { additionalProperties: false });
export type Profile = Static<typeof Profile>;
