// One error handler: catalogue errors keep their code and status; validation and body-size
// failures from Fastify become VALIDATION_FAILED / BODY_TOO_LARGE; anything else is a 500
// whose internals are logged, never returned, and whose body names the request id.

import type { FastifyError, FastifyInstance } from 'fastify';
import { HavenError } from '../../../core/src/errors.js';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    let err: HavenError;
    if (error instanceof HavenError) err = error;
    else if (error.validation) {
      const first = error.validation[0];
      const where = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
      err = new HavenError('VALIDATION_FAILED', { detail: `${where} ${first?.message ?? error.message}` });
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      err = new HavenError('BODY_TOO_LARGE', { limit: req.routeOptions.bodyLimit ?? '?' });
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error.statusCode === 400 && error.code?.startsWith('FST_'))) {
      err = new HavenError('VALIDATION_FAILED', { detail: error.message });
    } else if (error.statusCode === 415) {
      err = new HavenError('VALIDATION_FAILED', { detail: error.message });
    } else {
      req.log.error({ err: error }, 'request failed');
      err = new HavenError('INTERNAL', { requestId: req.id });
    }
    if (err.status >= 500 && err.code !== 'INTERNAL') req.log.error({ err: error, code: err.code }, err.message);
    // RFC 9110 section 10.2.3: a 429 says when to come back.
    if (err.status === 429 && typeof err.params.seconds === 'number') void reply.header('retry-after', String(err.params.seconds));
    void reply.code(err.status).send(err.toBody(req.id));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new HavenError('NOT_FOUND', { method: req.method, url: req.url.split('?')[0] ?? '' });
    void reply.code(err.status).send(err.toBody(req.id));
  });
}
