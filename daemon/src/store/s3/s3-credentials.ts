// The S3 credentials file: AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines (an
// `export ` prefix and quotes allowed, as a shell would source it). The keys never sit in the
// config itself, and a file others can read is refused: it opens the whole datastore.

import { readFileSync, statSync } from 'node:fs';
import { HavenError } from '../../../../core/src/errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function readS3Credentials(path: string): S3Credentials {
  const fail = (detail: string): HavenError => new HavenError('S3_CREDENTIALS_INVALID', { path, detail });
  if (path === '') throw fail('datastore.s3.credentialsFile is not set');
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode & 0o777;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if ((mode & 0o077) !== 0) throw fail(`mode is ${mode.toString(8).padStart(4, '0')}; it must be 0600 (chmod 600 ${path})`);
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    values.set(m[1] as string, (m[2] as string).replace(/^(['"])(.*)\1$/, '$2'));
  }
  const accessKeyId = values.get('AWS_ACCESS_KEY_ID') ?? '';
  const secretAccessKey = values.get('AWS_SECRET_ACCESS_KEY') ?? '';
  if (accessKeyId === '' || secretAccessKey === '') throw fail('needs AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines');
  return { accessKeyId, secretAccessKey };
}
