// datastore.s3.* as the S3 backend's options.

import type { Config } from '../../config/schema.js';
import type { S3BackendOptions } from './s3-segment-backend.js';

export function s3BackendOptions(config: Config['datastore']): S3BackendOptions | null {
  return config.backend === 's3' ? { ...config.s3 } : null;
}
