// The appliance's TLS certificate: generated on first start into <state>/tls and kept for
// good, since clients pin its fingerprint (DESIGN section 8). A new certificate would make
// every client refuse the appliance, so a damaged one is an error for the admin to resolve,
// never silently replaced.
//
// Generation runs `openssl req` through the exec seam: measured at ~10 ms for an EC P-256
// key and certificate, against ~160 ms (140 of them loading 4.6 MB of modules plus a global
// reflect-metadata polyfill) for @peculiar/x509 over WebCrypto, and 250-600 ms for an
// RSA-2048 key with node-forge (which has no ECDSA certificates). openssl is on every Debian
// system that has ca-certificates, and the package depends on it (docs/ARCHITECTURE.md).

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import { certificateFingerprint } from '../../../core/src/tls/certificate-fingerprint.js';
import { describeFailure, type CommandRunner } from '../../../core/src/exec/runner.js';

export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';
/** Ten years: clients pin the fingerprint, so expiry protects nothing and a renewal would break every pin. */
const VALIDITY_DAYS = 3650;

export interface TlsMaterial {
  dir: string;
  cert: string;
  key: string;
  /** SHA-256 of the certificate's DER, colon-separated lowercase hex. */
  fingerprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}

export function tlsDir(dataDir: string): string {
  return join(dataDir, 'tls');
}

/** Reads the certificate and key in `dir`; null when there is none yet. */
export function loadCertificate(dir: string): TlsMaterial | null {
  if (!existsSync(dir)) return null;
  try {
    const cert = readFileSync(join(dir, CERT_FILE), 'utf8');
    const key = readFileSync(join(dir, KEY_FILE), 'utf8');
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
    return {
      dir, cert, key,
      fingerprint: certificateFingerprint(x509.raw),
      subject: x509.subject.split('\n').join(', '),
      notBefore: new Date(x509.validFrom).toISOString(),
      notAfter: new Date(x509.validTo).toISOString(),
    };
  } catch (err) {
    throw new HavenError('TLS_CERTIFICATE_INVALID', { dir, detail: (err as Error).message }, { cause: err });
  }
}

/** The certificate in `dir`, generated first if there is none. */
export async function ensureCertificate(dir: string, runner: CommandRunner, name = hostname()): Promise<TlsMaterial> {
  const existing = loadCertificate(dir);
  if (existing) return existing;
  // Generated beside the final directory and renamed into place, so a crash leaves either no
  // certificate (the next start generates one) or a complete pair, never half of one.
  const staging = `${dir}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    const r = await runner.run('openssl', opensslArgs(staging, name), { timeoutMs: 30_000 });
    if (r.code !== 0) throw new HavenError('TLS_CERTIFICATE_INVALID', { dir, detail: `cannot generate one: ${describeFailure(r)}` });
    chmodSync(join(staging, KEY_FILE), 0o600);
    chmodSync(join(staging, CERT_FILE), 0o644);
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const made = loadCertificate(dir);
  if (!made) throw new HavenError('TLS_CERTIFICATE_INVALID', { dir, detail: 'it vanished right after generation' });
  return made;
}

function opensslArgs(dir: string, name: string): string[] {
  // Names in the certificate matter only to browsers (which warn about a self-signed one
  // anyway); Haven clients check the pinned fingerprint instead of names.
  const dnsName = /^[A-Za-z0-9.-]{1,253}$/.test(name) ? name : 'haven';
  return [
    'req', '-x509', '-config', '/dev/null',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256',
    '-keyout', join(dir, KEY_FILE), '-out', join(dir, CERT_FILE),
    '-days', String(VALIDITY_DAYS),
    '-subj', `/O=Haven/CN=${dnsName}`,
    '-addext', `subjectAltName=DNS:${dnsName},DNS:localhost,IP:127.0.0.1,IP:::1`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ];
}
