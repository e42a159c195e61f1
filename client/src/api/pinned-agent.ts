// HTTPS connections to an appliance whose certificate is pinned by fingerprint (SHA-256 of
// its DER, as `havend info` shows it). The appliance's certificate is self-signed, so no CA
// can vouch for it; the pin does instead, as with Proxmox Backup Server.
//
// The check runs in createConnection, before the agent hands the socket to any request: no
// byte of a request (least of all the bearer token) is written to a server that has not
// been verified. Without a pin, the usual CA and host name verification applies, and a
// refusal names the fingerprint the server presented so the admin can compare and pin it.

import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { HavenError } from '../../../core/src/errors.js';
import { certificateFingerprint } from '../../../core/src/tls/certificate-fingerprint.js';
import { normalizeFingerprint } from '../../../core/src/tls/fingerprint.js';
import { limitConnect } from './request-timeouts.js';

type Callback = (err: Error | null, stream: Duplex) => void;

export class PinnedAgent extends https.Agent {
  private readonly pin: string | null;

  /**
   * `server` names the appliance in errors; `fingerprint` (any spelling) is the pin, or null
   * for CA verification; the handshake and the check must be done within `connectMs`.
   */
  constructor(private readonly server: string, fingerprint: string | null, private readonly connectMs: number, options: https.AgentOptions = {}) {
    // Every connection presents and is checked against its certificate: no resumed sessions.
    super({ ...options, maxCachedSessions: 0 });
    if (fingerprint === null) this.pin = null;
    else {
      this.pin = normalizeFingerprint(fingerprint);
      if (this.pin === null) throw new HavenError('VALIDATION_FAILED', { detail: `${fingerprint} is not a SHA-256 certificate fingerprint (32 bytes of hex)` });
    }
  }

  override createConnection(options: https.RequestOptions, callback?: Callback): Duplex | null | undefined {
    // Node's own verification is replaced by ours below (the pin, or `authorized` without one).
    const socket = super.createConnection({ ...options, rejectUnauthorized: false }) as TLSSocket;
    let settled = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        callback?.(err, socket);
      } else callback?.(null, socket);
    };
    const onError = (err: Error): void => done(err);
    socket.once('error', onError);
    socket.once('secureConnect', () => done(this.verify(socket)));
    limitConnect(socket, 'secureConnect', this.connectMs, this.server);
    return undefined;
  }

  private verify(socket: TLSSocket): HavenError | null {
    const raw = socket.getPeerCertificate().raw as Buffer | undefined;
    const actual = raw && raw.length > 0 ? certificateFingerprint(raw) : 'none';
    if (this.pin !== null) {
      return actual === this.pin ? null : new HavenError('TLS_FINGERPRINT_MISMATCH', { server: this.server, actual, expected: this.pin });
    }
    if (socket.authorized) return null;
    return new HavenError('TLS_UNTRUSTED', { server: this.server, actual, reason: String(socket.authorizationError ?? 'unverified') });
  }
}
