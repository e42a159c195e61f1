// The appliance's own identity and state: its TLS certificate (for the UI, which shows the
// fingerprint clients pin), the datastore's usage and free-space reserve (for `havend info`
// and scripts), and the Prometheus metrics.

import type { DatastoreUsage } from '../../../../core/src/api/datastore.js';
import type { TlsInfo } from '../../../../core/src/api/system.js';
import { EXPOSITION_CONTENT_TYPE } from '../../metrics/exposition.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { TlsMaterial } from '../../tls/certificate.js';
import type { Handler } from '../route-types.js';

export interface SystemDeps {
  tls: () => TlsMaterial | null;
  urls: () => string[];
  metrics: MetricsRegistry;
  usage: { measureNow(): DatastoreUsage };
}

export function systemRoutes(deps: SystemDeps) {
  const tls: Handler = async () => {
    const t = deps.tls();
    const info: TlsInfo = {
      enabled: t !== null,
      fingerprint: t?.fingerprint ?? null,
      subject: t?.subject ?? null,
      notBefore: t?.notBefore ?? null,
      notAfter: t?.notAfter ?? null,
      urls: deps.urls(),
    };
    return info;
  };

  const metrics: Handler = async (_req, reply) => reply.type(EXPOSITION_CONTENT_TYPE).send(await deps.metrics.render());

  const datastore: Handler = async () => deps.usage.measureNow();

  return { tls, metrics, datastore };
}
