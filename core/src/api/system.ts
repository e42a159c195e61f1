// What the appliance says about itself beyond health: its TLS identity (shown in the UI so
// an admin can compare it with what a client is asked to pin).

import { Type, type Static } from 'typebox';

export const TlsInfo = Type.Object({
  /** false when the daemon listens on loopback only and serves plain HTTP. */
  enabled: Type.Boolean(),
  /** SHA-256 of the certificate's DER, colon-separated lowercase hex; null without TLS. */
  fingerprint: Type.Union([Type.String({ pattern: '^([0-9a-f]{2}:){31}[0-9a-f]{2}$' }), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()]),
  notBefore: Type.Union([Type.String(), Type.Null()]),
  notAfter: Type.Union([Type.String(), Type.Null()]),
  /** URLs clients and browsers can use to reach the appliance. */
  urls: Type.Array(Type.String()),
});
export type TlsInfo = Static<typeof TlsInfo>;

/** GET /api/v1/health once the daemon is ready (while starting: 503 and `{ status: 'starting' }`). */
export const HealthResponse = Type.Object({ status: Type.String(), version: Type.String(), datastore: Type.String() });
export type HealthResponse = Static<typeof HealthResponse>;
